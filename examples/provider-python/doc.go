// Package providerpython holds the test of examples/provider-python, a
// provider of gowbem written in Python (provider.py) that implements the
// gRPC service of internal/providerwire/provider.proto from its documented
// definition. See README.md.
package providerpython
