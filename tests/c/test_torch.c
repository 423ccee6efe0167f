#include "check.h"
void test_torch(const char *dir) { (void)dir; }
