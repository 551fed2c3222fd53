// accelnas-estimate's own program, unchanged, as a function of this executable: its main becomes
// accelnas_estimate_main, which main.cpp calls after registering the user's space.
#define main accelnas_estimate_main
#include "../tools/estimate.cpp"
