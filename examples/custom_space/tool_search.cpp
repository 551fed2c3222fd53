// accelnas-search's own program, unchanged, as a function of this executable: its main becomes
// accelnas_search_main, which main.cpp calls after registering the user's space.
#define main accelnas_search_main
#include "../tools/search.cpp"
