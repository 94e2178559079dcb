//go:build race

package daemon

import "time"

// floodCost is the bcrypt cost of the users in TestPasswordFlood: the race
// detector makes bcrypt some fifty times slower, so its runs (CI's) use cost
// 4, which then takes about what the default cost takes without it.
const floodCost = "4"

// floodMedianBound is the bound of a logged-in user's median Get during the
// flood: the race detector slows the 32 guessing clients, which run in the
// test's own process, and the daemon's connection handling several times
// over (medians of 100-300 ms seen on the loaded 2-core VM).
const floodMedianBound = time.Second
