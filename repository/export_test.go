package repository

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/gowbem/gowbem/cim"
)

// Internals for the external tests.

func EncodeClass(c *cim.Class) ([]byte, error)   { return encodeClass(c) }
func DecodeClass(rec []byte) (*cim.Class, error) { return decodeClass(rec) }

// EncodeInstance encodes inst under its own class's layout.
func EncodeInstance(inst *cim.Instance) ([]byte, error) {
	return encodeInstance(inst, layoutHash(inst.Class()))
}

// DecodeInstance decodes a record written under class's own layout.
func DecodeInstance(rec []byte, class *cim.Class) (*cim.Instance, error) {
	return newInstanceDecoder(class, func(uint64) ([]layoutProp, error) {
		return nil, cim.Errorf(cim.WBEM_E_CRITICAL_ERROR, "layout differs")
	}).decode(rec)
}

// Reseal replaces the checksum at the end of a record with the right one, so
// tests can reach the decoder with damaged bodies.
func Reseal(rec []byte) []byte {
	if len(rec) < 4 {
		return rec
	}
	body := rec[:len(rec)-4]
	return binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.Checksum(body, castagnoli()))
}
