"""The fixed query set of the search benchmark (bench/ingest.py may reuse it).

Common and rare terms, phrases, field restrictions, date ranges, prefixes and
combinations, written in Kustos syntax; NOTMUCH_QUERIES holds the equivalent notmuch
syntax, index for index, for running the anchor on the same questions.
"""

from __future__ import annotations

BENCH_QUERIES: list[str] = [
    "usrp",
    "uhd",
    "b210",
    "gnuradio",
    "fpga",
    "money",
    '"sample rate"',
    '"thank you"',
    '"free money"',
    "from:ettus.com",
    "from:marcus",
    "subject:x310",
    "date:2021",
    "date:2022-01-01..2022-06-30",
    "fpga AND timing",
    "dpdk OR ethernet",
    "clock -gps",
    "firmw*",
    "has:attachment",
    "subject:(b200 OR b210) date:2019..2021",
    "overflow underflow",
    "linux kernel driver",
    "viagra OR casino",
    "size:>20k",
]

NOTMUCH_QUERIES: list[str] = [
    "usrp",
    "uhd",
    "b210",
    "gnuradio",
    "fpga",
    "money",
    '"sample rate"',
    '"thank you"',
    '"free money"',
    "from:ettus.com",
    "from:marcus",
    "subject:x310",
    "date:2021",
    "date:2022-01-01..2022-06-30",
    "fpga AND timing",
    "dpdk OR ethernet",
    "clock AND NOT gps",
    "firmw*",
    "tag:attachment",
    "(subject:b200 OR subject:b210) AND date:2019..2021",
    "overflow underflow",
    "linux kernel driver",
    "viagra OR casino",
    "size:20k..",
]
