//go:build linux

package providerhost

import (
	"strings"
	"testing"
)

// For daemon_test.go (package providerhost_test, which may import the
// daemon): the command lines that run this test binary as a provider
// process — serving childProviders, or boundaryProviders — and the account
// the test providers are registered to run as ("" for the daemon's own).

// ChildCommandLine is the command line of this test binary serving
// childProviders (Small, Hang, Crash …).
func ChildCommandLine(t testing.TB) string { return strings.Join(self(t), " ") }

// BoundaryCommandLine is the command line of this test binary serving
// boundaryProviders (Boom …).
func BoundaryCommandLine(t testing.TB) string { return self(t)[0] + " " + boundaryArg }

// ProviderAccount is the account test providers are registered to run as.
func ProviderAccount() string { return testUser() }
