//go:build !race

package daemon

import "time"

// floodCost is the bcrypt cost of the users in TestPasswordFlood: bcrypt's
// default without the race detector.
const floodCost = "10"

// floodMedianBound is the bound of a logged-in user's median Get during the
// flood (before the bounded pool and the throttling: 434 ms).
const floodMedianBound = 250 * time.Millisecond
