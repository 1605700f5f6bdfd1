/* devbench: compare every OpenCL device on the machine, from raw bandwidth
 * to whole training steps. See tools/README.md. */
#include "devbench.h"

int main(int argc, char **argv)
{
    return db_main(argc, argv);
}
