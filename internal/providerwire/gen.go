// Package providerwire is the wire form of gowbem's provider contract: the
// gRPC service out-of-process providers serve (provider.proto, with the code
// protoc generates from it) and the conversions between package cim's values
// and its messages. The daemon's side (internal/providerhost) and the
// providers' SDK (provider/plugin) both use it.
package providerwire

// The generated files are committed; TestGeneratedIsCurrent checks that they
// match provider.proto. Regenerate with protoc (Debian's protobuf-compiler)
// and the two plugins this module pins as tools:
//go:generate sh -c "protoc --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) --go_out=paths=source_relative:. --go-grpc_out=paths=source_relative:. provider.proto registrar.proto"
