/* volt: entry point (filled in by the core work). */
int main(void) { return 0; }
