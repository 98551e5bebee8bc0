"""File name facts the rules need: extensions, formats that are high-entropy by nature,
extensions ransomware families append."""

from __future__ import annotations

# Compressed or encrypted by design: high entropy is normal for these (zip-based office
# formats, archives, images, audio, video, PDF, key stores).
HIGH_ENTROPY = frozenset("""
zip 7z rar gz tgz bz2 xz zst lz4 lzma cab jar apk war ear whl nupkg
docx docm xlsx xlsm pptx pptm odt ods odp odg epub vsdx pages numbers key
jpg jpeg png gif webp heic heif avif jp2 tif tiff raw cr2 nef arw dng
mp3 m4a aac ogg oga opus flac wma mp4 m4v mov avi mkv webm wmv flv 3gp mpg mpeg
pdf gpg pgp kdbx p12 pfx dmg iso msi woff woff2 pst ost
""".split())

# Extensions appended by known ransomware families (not names any common program writes).
RANSOMWARE = frozenset("""
locked encrypted encrypt crypt crypted crypto cry crinf crypz cryp1 cryptolocker
wncry wnry wcry wncryt locky zepto odin thor aesir osiris zzzzz cerber cerber2 cerber3
ryk ryuk conti lockbit abcd makop phobos djvu kraken ecc ezz exx vvv ccc zzz ttt rrk rdm
nochance pays ransom sage legion kkk btc gws coverton ctbl ctb2 enciphered hydracrypt
breaking_bad dharma cmb basta akira
blackcat alphv hive lockergoga clop cl0p babyk avaddon maze egregor sodinokibi revil
""".split())


def name_of(path: str) -> str:
    """The last component of a ``/`` path."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def dir_of(path: str) -> str:
    stripped = path.rstrip("/")
    return stripped.rsplit("/", 1)[0] if "/" in stripped else ""


def extension(path: str) -> str:
    """Lower-case extension without the dot (``""`` for none; a leading dot is no extension)."""
    name = name_of(path)
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def stem(path: str) -> str:
    """The name without its last extension."""
    name = name_of(path)
    base, dot, _ = name.rpartition(".")
    return base if dot and base else name


def high_entropy_type(path: str) -> bool:
    return extension(path) in HIGH_ENTROPY


def ransomware_extension(path: str) -> bool:
    return extension(path) in RANSOMWARE
