package wql

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

var benchData struct {
	once  sync.Once
	class *cim.Class
	insts []*cim.Instance
}

// benchInstances builds 10⁶ instances of a 10-property class once.
func benchInstances(b *testing.B) (*cim.Class, []*cim.Instance) {
	benchData.once.Do(func() {
		c, err := cim.Derive(nil, &cim.Class{Name: "Bench_Volume", Properties: []cim.Property{
			{Name: "ID", Type: cim.TypeUint32, Qualifiers: key()},
			{Name: "Name", Type: cim.TypeString},
			{Name: "Kind", Type: cim.TypeString},
			{Name: "Size", Type: cim.TypeUint64},
			{Name: "Free", Type: cim.TypeUint64},
			{Name: "Enabled", Type: cim.TypeBoolean},
			{Name: "Temp", Type: cim.TypeSint32},
			{Name: "Ratio", Type: cim.TypeReal64},
			{Name: "Label", Type: cim.TypeString},
			{Name: "Owner", Type: cim.TypeString},
		}})
		if err != nil {
			panic(err)
		}
		kinds := []string{"disk", "Disk", "net", "ram", "cdrom"}
		names := make([]string, 1000)
		for i := range names {
			names[i] = fmt.Sprintf("volume%03d", i)
		}
		insts := make([]*cim.Instance, 1_000_000)
		for i := range insts {
			in := c.NewInstance()
			in.SetAt(0, cim.Uint32(uint32(i)))
			in.SetAt(1, cim.String(names[i%len(names)]))
			in.SetAt(2, cim.String(kinds[i%len(kinds)]))
			in.SetAt(3, cim.Uint64(uint64(i)*7919%1_000_000))
			in.SetAt(4, cim.Uint64(uint64(i)))
			in.SetAt(5, cim.Bool(i%3 != 0))
			in.SetAt(6, cim.Sint32(int32(i%100-50)))
			in.SetAt(7, cim.Real64(float64(i%10)/10))
			in.SetAt(8, cim.String("label"))
			in.SetAt(9, cim.String("root"))
			insts[i] = in
		}
		benchData.class, benchData.insts = c, insts
	})
	return benchData.class, benchData.insts
}

func benchmarkMatch(b *testing.B, where string) {
	class, insts := benchInstances(b)
	q := MustParse("SELECT * FROM Bench_Volume WHERE " + where).(*SelectQuery)
	f, err := Compile(q, class, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, in := range insts {
			if f.Match(in) {
				n++
			}
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(insts))/b.Elapsed().Seconds(), "instances/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*float64(len(insts))), "ns/instance")
	if n == 0 {
		b.Fatal("nothing matched")
	}
}

// BenchmarkMatch runs a three-term predicate over 10⁶ in-memory instances of a
// ten-property class; one op is the whole pass.
func BenchmarkMatch(b *testing.B) {
	benchmarkMatch(b, `Size > 500000 AND Kind = "disk" AND Enabled = TRUE`)
}

// BenchmarkMatchLike is BenchmarkMatch with a LIKE and an OR.
func BenchmarkMatchLike(b *testing.B) {
	benchmarkMatch(b, `Name LIKE "volume1%" AND (Temp < 0 OR Ratio >= 0.5)`)
}

func bigQuery() string {
	var sb strings.Builder
	sb.WriteString(`SELECT Name, Kind, Size FROM Bench_Volume WHERE `)
	for i := 0; sb.Len() < 1000; i++ {
		if i > 0 {
			sb.WriteString(" OR ")
		}
		fmt.Fprintf(&sb, `(Name = "volume%03d" AND Size > %d AND NOT Label LIKE "x%%")`, i, i*1000)
	}
	return sb.String()
}

// BenchmarkParse1KB parses a query of about 1 KB.
func BenchmarkParse1KB(b *testing.B) {
	q := bigQuery()
	b.SetBytes(int64(len(q)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile1KB parses and compiles the same query.
func BenchmarkCompile1KB(b *testing.B) {
	class, _ := cim.Derive(nil, &cim.Class{Name: "Bench_Volume", Properties: []cim.Property{
		{Name: "Name", Type: cim.TypeString}, {Name: "Kind", Type: cim.TypeString},
		{Name: "Size", Type: cim.TypeUint64}, {Name: "Label", Type: cim.TypeString},
	}})
	q := bigQuery()
	b.SetBytes(int64(len(q)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(MustParse(q).(*SelectQuery), class, nil); err != nil {
			b.Fatal(err)
		}
	}
}
