/* main.c - the qkt command-line program (placeholder entry until the CLI lands). */
#include <stdio.h>
#include "qkt.h"
int main(void) { printf("qkt %s\n", QKT_VERSION_STRING); return 0; }
