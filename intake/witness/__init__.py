"""Witness cosigning: C2SP tlog-witness and tlog-cosignature (cosignature/v1)."""
