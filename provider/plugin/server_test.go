package plugin

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// serve serves p as a provider process does, on a loopback socket, and
// returns a client that reads replies with protobuf's own codec, as a
// daemon in any language would.
func serve(t *testing.T, p any) providerwire.ProviderClient {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(serverOptions()...)
	providerwire.RegisterProviderServer(srv, newServer(map[string]any{"": p}))
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return providerwire.NewProviderClient(cc)
}

// emitAll is a provider that emits what it is given.
type emitAll []*cim.Instance

func (e emitAll) EnumerateInstances(ctx context.Context, c *cim.Class, out provider.Emitter) error {
	for _, inst := range e {
		if err := out.Emit(inst); err != nil {
			return err
		}
	}
	return nil
}

func (emitAll) GetInstance(context.Context, *cim.Class, cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "none")
}

// enumerate runs an enumeration of class with credit, granting credit
// again for each batch, and returns the instances (by the generated code)
// and the Done.
func enumerate(t *testing.T, rpc providerwire.ProviderClient, class *cim.Class, credit uint32) ([]*providerwire.Instance, *providerwire.Done) {
	stream, err := rpc.Enumerate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := &providerwire.Start{Class: providerwire.EncodeClass(class), Credit: credit}
	if err := stream.Send(&providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Start{Start: start}}); err != nil {
		t.Fatal(err)
	}
	var got []*providerwire.Instance
	for {
		m, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if d := m.GetDone(); d != nil {
			return got, d
		}
		b := m.GetBatch()
		if b == nil {
			t.Fatalf("unexpected %v", m)
		}
		if n := len(b.Instances); n == 0 || n > int(credit) || n > providerwire.MaxBatch {
			t.Fatalf("a batch of %d with credit %d", n, credit)
		}
		got = append(got, b.Instances...)
		more := &providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Credit{Credit: uint32(len(b.Instances))}}
		if err := stream.Send(more); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
}

// TestEnumerateByPosition: the SDK sends an enumeration's instances by
// position in the order of the class the daemon sent, in batches within
// credit and MaxBatch, which protobuf's own code reads; an instance of
// another layout goes by name.
func TestEnumerateByPosition(t *testing.T) {
	c := workload.Class()
	rpc := serve(t, &workload.Provider{N: 2500})
	got, done := enumerate(t, rpc, c, 700)
	if done.Error != nil || len(got) != 2500 {
		t.Fatalf("%d instances, %v", len(got), done.Error)
	}
	for i, m := range got {
		if len(m.Properties) != 0 || len(m.Values) != len(c.Properties) || m.ClassName != "" {
			t.Fatalf("instance %d not by position: %v", i, m)
		}
		inst, err := providerwire.DecodeInstance(m, c)
		if err != nil {
			t.Fatal(err)
		}
		want := workload.Build(c, i)
		for k := range want.Len() {
			if !cim.Equal(inst.At(k), want.At(k)) {
				t.Fatalf("instance %d property %s = %v, want %v", i, c.Properties[k].Name, inst.At(k), want.At(k))
			}
		}
	}

	// Another layout of the class (the provider built its own): by name.
	own, err := cim.Derive(nil, &cim.Class{Name: c.Name, Properties: []cim.Property{c.Properties[1], c.Properties[0]}})
	if err != nil {
		t.Fatal(err)
	}
	inst := own.NewInstance()
	inst.Set("Id", cim.Uint32(5))
	inst.Set("Name", cim.String("five"))
	got, done = enumerate(t, serve(t, emitAll{inst}), c, 10)
	if done.Error != nil || len(got) != 1 || len(got[0].Values) != 0 || len(got[0].Properties) != 2 {
		t.Fatalf("another layout: %v %v", got, done.Error)
	}
	back, err := providerwire.DecodeInstance(got[0], c)
	if err != nil || back.Value("Id").Uint() != 5 || back.Value("Name").Str() != "five" {
		t.Fatalf("another layout read back as %v, %v", back, err)
	}
}

// TestEnumerateRefusesWhatHasNoWireForm: an instance with a string that
// is not UTF-8 fails its Emit (WBEM_E_PROVIDER_FAILURE naming the
// property), and the enumeration ends with that error after what came
// before it.
func TestEnumerateRefusesWhatHasNoWireForm(t *testing.T) {
	c := workload.Class()
	good := workload.Build(c, 1)
	bad := workload.Build(c, 2)
	bad.Set("Owner", cim.String("\xfe\xff"))
	got, done := enumerate(t, serve(t, emitAll{good, bad, workload.Build(c, 3)}), c, 10)
	if len(got) != 1 || done.Error == nil || cim.Status(done.Error.Status) != cim.WBEM_E_PROVIDER_FAILURE {
		t.Fatalf("%d instances, done %v", len(got), done.Error)
	}
	if want := "Owner"; done.Error.Parameter != want {
		t.Errorf("the error names %q, want %q: %v", done.Error.Parameter, want, done.Error)
	}
}
