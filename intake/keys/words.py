"""PGP word list: bytes as words two people can read to each other over a phone.

Byte i of the data is spoken as EVEN_WORDS[b] when i is even and as
ODD_WORDS[b] when i is odd (two-syllable and three-syllable words). Because
the lists alternate, a dropped or swapped word puts a word from the wrong list
in a position and from_words names that position.

One limit: dropping the *last* word of a sequence leaves a valid (shorter)
sequence; callers compare the length with the expected fingerprint length.
"""

from __future__ import annotations

from collections.abc import Sequence

from intake.errors import WordsError

# The PGP word list (Juola and Zimmermann, PGPfone 1995, later refined for PGP's
# "biometric" fingerprint display), stored lowercase, 8 words per line, so line
# n holds bytes 8n..8n+7. Transcribed from iana-org/dnssec-keytools-legacy,
# common/sha2wordlist.h (wordlist_even / wordlist_odd), and cross-checked
# against magic-wormhole's src/wormhole/_wordlist.py (raw_words): the two agree
# on all 512 entries, e.g. 0x17 is "banjo"/"bookseller".
# Some copies that cite the 1995 PGPfone manual carry an earlier edition: it
# has "basalt", "dosage", "fragile", "sahara", ... and lacks "banjo",
# "dashboard", "locale", "bravado", ... (16 words differ, so most later bytes
# shift too). PGP and the tools above use the list below, so it is kept.
EVEN_WORDS: tuple[str, ...] = tuple(
    """
    aardvark absurd accrue acme adrift adult afflict ahead
    aimless algol allow alone ammo ancient apple artist
    assume athens atlas aztec baboon backfield backward banjo
    beaming bedlamp beehive beeswax befriend belfast berserk billiard
    bison blackjack blockade blowtorch bluebird bombast bookshelf brackish
    breadline breakup brickyard briefcase burbank button buzzard cement
    chairlift chatter checkup chisel choking chopper christmas clamshell
    classic classroom cleanup clockwork cobra commence concert cowbell
    crackdown cranky crowfoot crucial crumpled crusade cubic dashboard
    deadbolt deckhand dogsled dragnet drainage dreadful drifter dropper
    drumbeat drunken dupont dwelling eating edict egghead eightball
    endorse endow enlist erase escape exceed eyeglass eyetooth
    facial fallout flagpole flatfoot flytrap fracture framework freedom
    frighten gazelle geiger glitter glucose goggles goldfish gremlin
    guidance hamlet highchair hockey indoors indulge inverse involve
    island jawbone keyboard kickoff kiwi klaxon locale lockup
    merit minnow miser mohawk mural music necklace neptune
    newborn nightbird oakland obtuse offload optic orca payday
    peachy pheasant physique playhouse pluto preclude prefer preshrunk
    printer prowler pupil puppy python quadrant quiver quota
    ragtime ratchet rebirth reform regain reindeer rematch repay
    retouch revenge reward rhythm ribcage ringbolt robust rocker
    ruffled sailboat sawdust scallion scenic scorecard scotland seabird
    select sentence shadow shamrock showgirl skullcap skydive slingshot
    slowdown snapline snapshot snowcap snowslide solo southward soybean
    spaniel spearhead spellbind spheroid spigot spindle spyglass stagehand
    stagnate stairway standard stapler steamship sterling stockman stopwatch
    stormy sugar surmount suspense sweatband swelter tactics talon
    tapeworm tempest tiger tissue tonic topmost tracker transit
    trauma treadmill trojan trouble tumor tunnel tycoon uncut
    unearth unwind uproot upset upshot vapor village virus
    vulcan waffle wallet watchword wayside willow woodlark zulu
    """.split()
)

ODD_WORDS: tuple[str, ...] = tuple(
    """
    adroitness adviser aftermath aggregate alkali almighty amulet amusement
    antenna applicant apollo armistice article asteroid atlantic atmosphere
    autopsy babylon backwater barbecue belowground bifocals bodyguard bookseller
    borderline bottomless bradbury bravado brazilian breakaway burlington businessman
    butterfat camelot candidate cannonball capricorn caravan caretaker celebrate
    cellulose certify chambermaid cherokee chicago clergyman coherence combustion
    commando company component concurrent confidence conformist congregate consensus
    consulting corporate corrosion councilman crossover crucifix cumbersome customer
    dakota decadence december decimal designing detector detergent determine
    dictator dinosaur direction disable disbelief disruptive distortion document
    embezzle enchanting enrollment enterprise equation equipment escapade eskimo
    everyday examine existence exodus fascinate filament finicky forever
    fortitude frequency gadgetry galveston getaway glossary gossamer graduate
    gravity guitarist hamburger hamilton handiwork hazardous headwaters hemisphere
    hesitate hideaway holiness hurricane hydraulic impartial impetus inception
    indigo inertia infancy inferno informant insincere insurgent integrate
    intention inventive istanbul jamaica jupiter leprosy letterhead liberty
    maritime matchmaker maverick medusa megaton microscope microwave midsummer
    millionaire miracle misnomer molasses molecule montana monument mosquito
    narrative nebula newsletter norwegian october ohio onlooker opulent
    orlando outfielder pacific pandemic pandora paperweight paragon paragraph
    paramount passenger pedigree pegasus penetrate perceptive performance pharmacy
    phonetic photograph pioneer pocketful politeness positive potato processor
    provincial proximate puberty publisher pyramid quantity racketeer rebellion
    recipe recover repellent replica reproduce resistor responsive retraction
    retrieval retrospect revenue revival revolver sandalwood sardonic saturday
    savagery scavenger sensation sociable souvenir specialist speculate stethoscope
    stupendous supportive surrender suspicious sympathy tambourine telephone therapist
    tobacco tolerance tomorrow torpedo tradition travesty trombonist truncated
    typewriter ultimate undaunted underfoot unicorn unify universe unravel
    upcoming vacancy vagabond vertigo virginia visitor vocalist voyager
    warranty waterloo whimsical wichita wilmington wyoming yesteryear yucatan
    """.split()
)

_EVEN_INDEX: dict[str, int] = {word: byte for byte, word in enumerate(EVEN_WORDS)}
_ODD_INDEX: dict[str, int] = {word: byte for byte, word in enumerate(ODD_WORDS)}


def to_words(data: bytes) -> list[str]:
    """Spell each byte with the even list at even positions, the odd list at odd ones."""
    return [(ODD_WORDS if i % 2 else EVEN_WORDS)[b] for i, b in enumerate(data)]


def _decode_word(word: str, index: int) -> int:
    key = word.strip().lower()
    expected, other = (_ODD_INDEX, _EVEN_INDEX) if index % 2 else (_EVEN_INDEX, _ODD_INDEX)
    if key in expected:
        return expected[key]
    where = f"word {index + 1} ({word!r})"
    if key in other:
        found, wanted = ("two", "three") if index % 2 else ("three", "two")
        raise WordsError(
            f"{where} is a {found}-syllable word where a {wanted}-syllable word belongs: "
            "a word was dropped or two were swapped here",
            index,
        )
    raise WordsError(f"{where} is not in the PGP word list", index)


def from_words(words: Sequence[str]) -> bytes:
    """Decode words (any case) back to bytes; WordsError names the first bad position."""
    if isinstance(words, str):
        raise TypeError("from_words takes a sequence of words; split the string first")
    return bytes(_decode_word(word, i) for i, word in enumerate(words))


def fingerprint_words(fingerprint: bytes, count: int = 12) -> str:
    """The first ``count`` bytes of a fingerprint as words separated by single spaces."""
    if not 0 < count <= len(fingerprint):
        raise ValueError(f"count must be between 1 and {len(fingerprint)}, got {count}")
    return " ".join(to_words(fingerprint[:count]))
