//go:build linux

package host

import "encoding/binary"

func nativeInt32(b []byte) int32 { return int32(binary.NativeEndian.Uint32(b)) }
