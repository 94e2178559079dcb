package wbem

import (
	"context"
	"reflect"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// Decode copies the properties of obj into the struct dst points to. A field
// takes the property named by its `wbem:"Name"` tag, or its own name; `wbem:"-"`
// skips it. Supported field types: strings, integers, floats, bool, time.Time
// (datetime), time.Duration (interval), cim.Value, cim.ObjectPath (reference),
// slices of these, and pointers to them (nil for NULL). A property the object
// lacks leaves the field alone; a value that does not fit gives
// WBEM_E_TYPE_MISMATCH naming the property.
func Decode(obj cim.Object, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "Decode needs a pointer to a struct"}
	}
	rv = rv.Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("wbem"); ok {
			if tag == "-" {
				continue
			}
			if tag != "" {
				name = tag
			}
		}
		v, err := obj.Get(name)
		if err != nil {
			continue
		}
		if err := setField(rv.Field(i), v); err != nil {
			return &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Parameter: name,
				Description: "property " + name + ": " + cim.AsError(err).Description}
		}
	}
	return nil
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
	valueType    = reflect.TypeOf(cim.Value{})
	pathType     = reflect.TypeOf(cim.ObjectPath{})
)

func setField(f reflect.Value, v cim.Value) error {
	switch f.Type() {
	case valueType:
		f.Set(reflect.ValueOf(v))
		return nil
	case timeType, durationType, pathType:
		if v.IsNull() {
			f.SetZero()
			return nil
		}
	}
	switch f.Type() {
	case timeType:
		d, err := v.Datetime()
		if err != nil {
			return err
		}
		t, err := d.Time()
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(t))
		return nil
	case durationType:
		d, err := v.Datetime()
		if err != nil {
			return err
		}
		dur, err := d.Duration()
		if err != nil {
			return err
		}
		f.SetInt(int64(dur))
		return nil
	case pathType:
		p, err := v.Path()
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(p))
		return nil
	}
	if f.Kind() == reflect.Pointer {
		if v.IsNull() {
			f.SetZero()
			return nil
		}
		p := reflect.New(f.Type().Elem())
		if err := setField(p.Elem(), v); err != nil {
			return err
		}
		f.Set(p)
		return nil
	}
	if v.IsNull() {
		f.SetZero()
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(v.Text())
	case reflect.Bool:
		c, err := v.Convert(cim.TypeBoolean)
		if err != nil {
			return err
		}
		f.SetBool(c.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c, err := v.Convert(cim.TypeSint64)
		if err != nil {
			return err
		}
		if f.OverflowInt(c.Int()) {
			return cim.Errorf(cim.WBEM_E_TYPE_MISMATCH, "value %s overflows %s", v, f.Type())
		}
		f.SetInt(c.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c, err := v.Convert(cim.TypeUint64)
		if err != nil {
			return err
		}
		if f.OverflowUint(c.Uint()) {
			return cim.Errorf(cim.WBEM_E_TYPE_MISMATCH, "value %s overflows %s", v, f.Type())
		}
		f.SetUint(c.Uint())
	case reflect.Float32, reflect.Float64:
		c, err := v.Convert(cim.TypeReal64)
		if err != nil {
			return err
		}
		f.SetFloat(c.Float())
	case reflect.Slice:
		if !v.Type().IsArray() {
			return cim.Errorf(cim.WBEM_E_TYPE_MISMATCH, "value %s is not an array", v)
		}
		s := reflect.MakeSlice(f.Type(), v.Len(), v.Len())
		for i, e := range v.Elems() {
			if err := setField(s.Index(i), e); err != nil {
				return err
			}
		}
		f.Set(s)
	default:
		return cim.Errorf(cim.WBEM_E_TYPE_MISMATCH, "field type %s is not supported", f.Type())
	}
	return nil
}

// DecodeAll reads every remaining object of e into the slice of structs dst
// points to (see Decode), then closes e.
func DecodeAll[T any](ctx context.Context, e *Enumerator, dst *[]T) error {
	for obj, err := range e.All(ctx) {
		if err != nil {
			return err
		}
		var v T
		if err := Decode(obj, &v); err != nil {
			e.Close()
			return err
		}
		*dst = append(*dst, v)
	}
	return nil
}
