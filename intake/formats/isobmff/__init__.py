"""ISO base media file format (ISO/IEC 14496-12): the box layer and one module per family."""
