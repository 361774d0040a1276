"""Verify: open a bundle or a submission, then every check with pass/fail and each item's history.

A bundle (folder or .zip) is checked by intake.bundle.verify, offline and without the vault; a
submission (an age or OpenPGP file) by intake.bundle.receive against this vault's history,
writing nothing, after which an editor may receive it. This screen only lists the checks.
"More checks" holds what `intake verify` takes as --witnesses, --tsa-ca and --since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Collapsible, Footer, Header, Input, Static

from intake.bundle.receive import ReceiveResult, check_submission, looks_like_submission, receive_submission
from intake.bundle.verify import ItemTimeline, VerifyReport, verify_bundle
from intake.text import grouped_hex, printable
from intake.keys.pinning import Pin, parse_pin
from intake.support.progress import Progress
from intake.app.errors import show_error
from intake.app.session import Session
from intake.app.screens.confirm import ConfirmScreen
from intake.app.screens.section import BACK, Section
from intake.app.widgets.checklist import Checklist
from intake.app.widgets.fields import Field
from intake.app.widgets.nav import NavBar
from intake.app.widgets.progress import ProgressPanel


@dataclass(frozen=True)
class MoreChecks:
    """What a reader holds from outside the bundle, as `intake verify` takes it (docs/bundles.md):
    their witness policy, the TSAs' CA certificates, an older bundle or saved checkpoint."""

    witnesses: Path | None = None
    tsa_ca: list[Path] = field(default_factory=list)
    since: Path | None = None

    @classmethod
    def from_fields(cls, witnesses: str, tsa_ca: str, since: str) -> MoreChecks:
        def path(text: str) -> Path | None:
            return Path(text.strip()).expanduser() if text.strip() else None

        return cls(path(witnesses), [Path(p.strip()).expanduser() for p in tsa_ca.split(";") if p.strip()],
                   path(since))

    def verify(self, path: Path, pin: Pin | None, progress: Progress) -> VerifyReport:
        """The bundle verified with these; a file that cannot be read is an IntakeError (one line)."""
        from intake.bundle.consistency import read_old_checkpoint
        from intake.timestamp.authorities import read_verifier_roots
        from intake.witness.policy import WitnessPolicy

        since = read_old_checkpoint(self.since) if self.since is not None else None
        witnesses = WitnessPolicy.read(self.witnesses) if self.witnesses is not None else None
        return verify_bundle(path, pin, progress, since=since, witnesses=witnesses,
                             tsa_roots=read_verifier_roots(self.tsa_ca))


@dataclass(frozen=True)
class Checked:
    path: Path
    submission: bool
    trusted: bool
    report: VerifyReport


def timeline_text(items: list[ItemTimeline]) -> Text:
    """Each item: its file, then its custody events, oldest first, each with the sender's note if any."""
    text = Text()
    for item in items:
        text.append(f"{item.item}", style="bold")
        text.append(f"  {printable(item.file)}\n")
        for event in item.events:
            text.append(f"  {event.day}  {printable(event.action):<12} {event.of:<10}  "
                        f"by {grouped_hex(event.actor)[:19]}\n")
            if event.note:
                text.append(f"    note: {printable(event.note)}\n", style="italic")
    return text


def verdict_of(checked: Checked) -> str:
    kind = "submission" if checked.submission else "bundle"
    report = checked.report
    if report.only_unpinned:
        return ("every check holds, but the signer is NOT pinned: compare the words below with the custodian's, "
                "published outside the bundle, and enter them above")
    if not report.ok:
        return f"{kind} NOT verified: do not rely on it"
    if checked.submission:
        return "submission verified; nothing is imported yet (r receives it into this vault)"
    return "bundle verified"


def signer_text(checked: Checked) -> Text:
    """Whose key signed: without a pinned key, the words are the only link to a person."""
    signer = checked.report.custodian
    if signer is None or not (checked.report.ok or checked.report.only_unpinned):
        return Text()
    who = "field contact" if checked.submission else "custodian"
    text = Text(f"signed by the key with words: {signer.words}\n", style="bold")
    if checked.trusted:
        text.append(f"the {who}'s key you gave\n\n", style="green")
    elif checked.submission:
        text.append(f"compare them with the {who}'s, or give their key above\n\n", style="yellow")
    else:
        text.append("NOT pinned: anyone can sign with a key of their own under the custodian's name. Compare these "
                    "words with the ones the desk published elsewhere, then enter them (or the .pub file) above\n\n",
                    style="bold red")
    return text


class VerifyScreen(Section):
    SECTION = "verify"
    MAIN = "#verify-result"
    STOPPING = "stopping: nothing will be written…"
    BINDINGS = [
        Binding("o", "focus_path", "Open", tooltip="Go to the path of the bundle or submission"),
        Binding("r", "receive", "Receive", tooltip="Receive the submission just checked (after confirmation)"),
        BACK,
    ]

    class Verified(Message):
        def __init__(self, checked: Checked | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.checked = checked
            self.error = error

    class Received(Message):
        def __init__(self, result: ReceiveResult | None, error: BaseException | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.checked: Checked | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield NavBar(self.SECTION)
        yield Static("Bundle (folder or .zip) or submission (.age) to check; checking writes nothing",
                     classes="label")
        with Horizontal(classes="row"):
            yield Field(placeholder="path to the bundle or submission", id="bundle")
            yield Button("Verify", id="verify", variant="primary", compact=True)
            yield Button("Receive (r)", id="receive", variant="warning", compact=True)
        yield Static("Expected signer, as published elsewhere: their .pub file, fingerprint or 12 words",
                     classes="label")
        yield Field(placeholder="their .pub file, hex fingerprint or words", id="trust")
        with Collapsible(title="More checks (bundles): witnesses, trusted time, an older bundle", id="more"):
            yield Static("Your witness policy file (the witnesses you trust, and how many must cosign)",
                         classes="label")
            yield Field(placeholder="witness policy file", id="witnesses")
            yield Static("The TSAs' CA certificates, as the TSAs published them (several: separate with ;)",
                         classes="label")
            yield Field(placeholder="CA certificate file(s)", id="tsa-ca")
            yield Static("An older bundle or saved checkpoint from this desk: this one must extend it",
                         classes="label")
            yield Field(placeholder="older bundle (folder or .zip) or checkpoint file", id="since")
        yield ProgressPanel(id="progress")
        with VerticalScroll(id="verify-result"):
            yield Static("", id="signer")
            yield Checklist("", id="checks")
            yield Static("", id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#receive", Button).display = False
        # Tab goes from the path to the signer, never to a button where typed letters
        # become section keys (the words of a pin hold an `e`): Enter verifies, `r` receives.
        for button in self.query(Button):
            button.can_focus = False
        self.action_focus_path()

    def action_focus_path(self) -> None:
        self.query_one("#bundle", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "receive":
            return self._receivable()
        return True

    def _receivable(self) -> bool:
        checked = self.checked
        return checked is not None and checked.submission and checked.report.ok and not self.busy

    # --- checking ---------------------------------------------------------------------

    @on(Input.Submitted, "#bundle")
    @on(Input.Submitted, "#trust")
    @on(Input.Submitted, "#witnesses")
    @on(Input.Submitted, "#tsa-ca")
    @on(Input.Submitted, "#since")
    @on(Button.Pressed, "#verify")
    def verify_pressed(self) -> None:
        path = self.query_one("#bundle", Input).value.strip()
        trust = self.query_one("#trust", Input).value.strip()
        more = MoreChecks.from_fields(*(self.query_one(f"#{name}", Input).value
                                        for name in ("witnesses", "tsa-ca", "since")))
        if not path:
            self.action_focus_path()
            return
        if self.busy:
            return
        self._show(None)
        self.query_one(ProgressPanel).start("checking…", 1)
        self.begin()
        self.verify(Path(path).expanduser(), trust or None, more)

    @work(thread=True, exclusive=True, group="verify")
    def verify(self, path: Path, trust: str | None, more: MoreChecks) -> None:
        session = self.session
        progress = self.stoppable_progress("checking")
        try:
            pin = parse_pin(trust) if trust is not None else None
            submission = looks_like_submission(path)
            if submission:
                report = check_submission(session.vault, session.keyring, path, pin, progress)
            else:
                report = more.verify(path, pin, progress)
        except Exception as error:
            self.post_message(self.Verified(None, error))
            return
        self.post_message(self.Verified(Checked(path, submission, pin is not None, report)))

    @on(Verified)
    def verified(self, event: Verified) -> None:
        self.end()
        panel = self.query_one(ProgressPanel)
        if event.checked is None:
            panel.finish("not verified", complete=False)
            show_error(self, event.error)
            return
        self._show(event.checked)
        result = self.query_one("#verify-result")
        result.focus()  # keys (r, o, Esc) work, and the result scrolls
        result.scroll_home(animate=False)  # the failures and their summary are at the top
        verdict = verdict_of(event.checked)
        panel.finish(verdict)
        self.app.notify(verdict, severity="information" if event.checked.report.ok else "error")

    def _show(self, checked: Checked | None) -> None:
        self.checked = checked
        checks = self.query_one("#checks", Checklist)
        if checked is None:
            checks.update("")
            self.query_one("#signer", Static).update("")
            self.query_one("#timeline", Static).update("")
        else:
            report = checked.report
            lines = [*report.checks, *([report.signer] if report.signer is not None else [])]
            checks.show(list(lines), verdict_of(checked) + "\n")
            self.query_one("#signer", Static).update(signer_text(checked))
            self.query_one("#timeline", Static).update(timeline_text(list(report.items)))
        self.query_one("#receive", Button).display = self._receivable()
        self.refresh_bindings()

    # --- receiving a checked submission ---------------------------------------------------

    @on(Button.Pressed, "#receive")
    def action_receive(self) -> None:
        checked = self.checked
        if checked is None or not self._receivable():
            return
        sender = checked.report.custodian
        words = sender.words if sender is not None else ""
        details = (f"{printable(str(checked.path))}\nsent by the key with words: {words}\n\n"
                   "Its items are re-sealed into this vault and recorded in `transferred` entries. "
                   "Receive it only if these words are the field contact's.")

        def answered(yes: bool | None) -> None:
            if yes and not self.busy:
                self.query_one(ProgressPanel).start("receiving…", 1)
                self.begin()
                self.receive(checked.path)

        self.app.push_screen(ConfirmScreen("Receive this submission into the vault?", details, yes="Receive"),
                             answered)

    @work(thread=True, exclusive=True, group="verify")
    def receive(self, path: Path) -> None:
        session: Session = self.session
        try:
            result = receive_submission(session.vault, session.keyring, path, self.stoppable_progress("receiving"))
        except Exception as error:
            self.post_message(self.Received(None, error))
            return
        self.post_message(self.Received(result))

    @on(Received)
    def received(self, event: Received) -> None:
        self.end()
        panel = self.query_one(ProgressPanel)
        if event.result is None:
            panel.finish("not received; the vault is as it was", complete=False)
            show_error(self, event.error)
            self._show(self.checked)
            return
        result = event.result
        self._show(None)
        text = (f"Received {len(result.originals)} original(s) and {len(result.clean_copies)} clean cop"
                f"{'y' if len(result.clean_copies) == 1 else 'ies'}; the clean copies can be exported.")
        panel.finish(text)
        self.query_one("#checks", Checklist).update(text + "\n" + "\n".join(f"  {item}  clean copy"
                                                                           for item in result.clean_copies))
        self.app.notify(text)
