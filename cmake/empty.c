/* empty.c: placeholder source for an area library that has no files yet. */
