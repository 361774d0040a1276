"""ISO base media file format (ISO/IEC 14496-12): the one box layer, and a module per family on it."""
