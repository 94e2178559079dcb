// Package layers holds the test that keeps gowbem's import layering true
// (docs/ARCHITECTURE.md): a package imports only packages below it.
package layers
