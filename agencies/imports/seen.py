"""A fixed-size memory of the keys an import has seen, to spot duplicates inside a file.

A roster of 40,000 rows carries 80,000 keys (employee numbers and e-mails); holding them in sets
would make the import's memory grow with the file. This is a Bloom filter of 2^23 bits (1 MiB)
and four probes: it never misses a key it has seen, and wrongly says "seen" for about one key in
500,000 at 80,000 keys. A "seen" answer is therefore only a *candidate* duplicate, which the
import confirms (and locates) with an exact second read of the file restricted to the candidates;
a file with no candidate is never read twice.
"""

from __future__ import annotations

BITS = 1 << 23
PROBES = 4
_MASK = BITS - 1


class SeenKeys:
    def __init__(self) -> None:
        self._bits = bytearray(BITS >> 3)

    def add(self, key: str) -> bool:
        """Remember `key`; True when it may have been added before (a candidate duplicate)."""
        bits = self._bits
        h1 = hash(key)
        h2 = hash((key, 0x5EED)) | 1
        seen = True
        for i in range(PROBES):
            position = (h1 + i * h2) & _MASK
            byte, bit = position >> 3, 1 << (position & 7)
            if not bits[byte] & bit:
                seen = False
                bits[byte] |= bit
        return seen
