#!/usr/bin/env python3
"""Instructions per byte of OpenSSL's SHA-256 block loop that uses the x86 SHA extensions (SHA-NI).

valgrind does not emulate SHA-NI, so under callgrind OpenSSL falls back to a plain SIMD SHA-256 that executes about ten
times the instructions the real CPU runs. To compare the secret scanner's instruction count with the hashing it rides
along with, this reads the loop the CPU really runs from libcrypto's disassembly: the loop that holds 32
sha256rnds2 (64 rounds, one 64-byte block per iteration) and no AES (OpenSSL's stitched AES+SHA code is skipped).

usage: sha_ni_loop.py LIBCRYPTO   prints: INSTRUCTIONS_PER_BLOCK INSTRUCTIONS_PER_BYTE
"""
import re
import subprocess
import sys

LINE = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")


def main() -> int:
    dump = subprocess.run(["objdump", "-d", "--no-show-raw-insn", sys.argv[1]], capture_output=True, text=True, check=True).stdout
    code = []
    for line in dump.splitlines():
        m = LINE.match(line)
        if m:
            code.append((int(m.group(1), 16), m.group(2), m.group(3)))
    index = {address: i for i, (address, _, _) in enumerate(code)}
    rounds = [i for i, (_, mnemonic, _) in enumerate(code) if mnemonic == "sha256rnds2"]
    best = None
    for first in rounds:
        cluster = [i for i in rounds if first <= i < first + 400]
        if len(cluster) != 32 or (rounds.index(first) > 0 and first - rounds[rounds.index(first) - 1] < 400):
            continue
        # The loop's back edge: the first conditional jump after the last round that jumps to before the first round.
        for j in range(cluster[-1], min(cluster[-1] + 40, len(code))):
            mnemonic, operands = code[j][1], code[j][2]
            if mnemonic.startswith("j") and mnemonic != "jmp":
                target = int(operands.split()[0], 16)
                if target <= code[first][0] and target in index:
                    body = code[index[target]:j + 1]
                    if not any(m.startswith("aes") for _, m, _ in body):
                        best = len(body) if best is None else min(best, len(body))
                    break
    if best is None:
        print("no SHA-NI SHA-256 loop found", file=sys.stderr)
        return 1
    print(best, f"{best / 64:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
