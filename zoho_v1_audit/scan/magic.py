"""What a file is, from its first bytes: an archive of some kind, or media to skip."""

from __future__ import annotations

from typing import Literal

Kind = Literal["zip", "tar", "gzip", "bzip2", "xz"]

HEAD = 512  # bytes enough to recognise every kind (tar's magic sits at offset 257)

# Images, audio, video and fonts: recognised by their first bytes and skipped unread.
_MEDIA = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"ID3",  # MP3
    b"fLaC",
    b"OggS",
    b"\x1aE\xdf\xa3",  # Matroska, WebM
    b"wOFF",
    b"wOF2",
)


def kind_of(head: bytes) -> Kind | None:
    """The archive kind the first bytes of a file announce, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    return None


def is_media(head: bytes) -> bool:
    """Whether the first bytes are those of an image, audio, video or font file."""
    if head.startswith(_MEDIA):
        return True
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return True
    return head[4:8] == b"ftyp"  # MP4, MOV, HEIC, AVIF
