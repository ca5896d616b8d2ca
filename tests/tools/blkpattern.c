// SPDX-License-Identifier: GPL-2.0-or-later
/* Host side of the guest block tests: checks that FILE holds, at OFFSET, the SIZE-byte pattern the
 * test init's blkwrite:DEV:SEED:..:SIZE wrote (xorshift64 words, see tools/kit/testinit.c), and
 * prints the FNV-1a checksum the guest printed for it.
 * usage: blkpattern SEED SIZE FILE [OFFSET]   (exit 0 match, 1 mismatch, 2 usage/IO error) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: blkpattern SEED SIZE FILE [OFFSET]\n");
		return 2;
	}
	uint64_t x = strtoull(argv[1], NULL, 0), size = strtoull(argv[2], NULL, 0);
	long off = argc == 5 ? strtol(argv[4], NULL, 0) : 0;
	if (!x)
		x = 0x9e3779b97f4a7c15ULL;
	FILE *f = fopen(argv[3], "rb");
	if (!f || fseek(f, off, SEEK_SET)) {
		perror(argv[3]);
		return 2;
	}
	uint64_t h = 0xcbf29ce484222325ULL;
	for (uint64_t i = 0; i < size / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t w;
		if (fread(&w, 8, 1, f) != 1 || w != x) {
			printf("mismatch at byte %" PRIu64 "\n", i * 8);
			return 1;
		}
		h ^= w;
		h *= 0x100000001b3ULL;
	}
	fclose(f);
	printf("%" PRIx64 "\n", h);
	return 0;
}
