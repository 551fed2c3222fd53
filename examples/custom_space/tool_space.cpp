// accelnas-space's own program, unchanged, as a function of this executable: its main becomes
// accelnas_space_main, which main.cpp calls after registering the user's space.
#define main accelnas_space_main
#include "../tools/space.cpp"
