package classcache

import (
	"testing"

	"github.com/gowbem/gowbem/cim"
)

func TestKeysAndBound(t *testing.T) {
	c := New(2)
	a, b := &cim.Class{Name: "A"}, &cim.Class{Name: "B"}
	c.Put(`root\cimv2`, a)
	if got, ok := c.Get(`ROOT\CIMv2`, "a"); !ok || got != a {
		t.Error("names and namespaces are not case-insensitive")
	}
	if _, ok := c.Get(`root\other`, "A"); ok {
		t.Error("a class of another namespace was served")
	}
	c.Put(`root\cimv2`, b)
	if c.Len() != 2 {
		t.Errorf("a cache of 2 holds %d classes", c.Len())
	}
	c.Put(`root\cimv2`, &cim.Class{Name: "C"}) // full: emptied first
	if _, ok := c.Get(`root\cimv2`, "A"); ok || c.Len() != 1 {
		t.Errorf("a full cache kept %d classes", c.Len())
	}
	c.Forget()
	if _, ok := c.Get(`root\cimv2`, "C"); ok || c.Len() != 0 {
		t.Error("Forget kept a class")
	}
}
