package cim

import "strings"

// DefaultNamespace is the namespace used when none is named: where clients
// connect, where a MOF file compiles to and where the host classes live.
const DefaultNamespace = `root\cimv2`

// NormalNamespace returns a namespace name in the one form gowbem stores,
// compares and prints it in: backslashes between the elements (`root\cimv2`),
// none at either end. Clients may write slashes (root/cimv2), as DMTF paths
// and WS-Management resource URIs do. Case is kept; names compare
// case-insensitively.
func NormalNamespace(ns string) string {
	if strings.IndexByte(ns, '/') >= 0 {
		ns = strings.ReplaceAll(ns, "/", `\`)
	}
	return strings.Trim(ns, `\`)
}
