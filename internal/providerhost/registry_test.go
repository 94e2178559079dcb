//go:build linux

package providerhost

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/wbem"
)

// registrationMOF registers the test binary as provider Items of class
// T_Item, as a user would.
func registrationMOF(t testing.TB, extra string) string {
	cmd := strings.Join(self(t), " ")
	user := ""
	if u := testUser(); u != "" {
		user = `User = "` + u + `";`
	}
	return `
[Dynamic, Provider("Items")]
class T_Item {
	[Key] uint32 Id;
	string Name;
	string Description;
	string Owner;
	string Status;
	sint64 Count;
	uint64 Size;
	uint16 Flags;
	datetime Created;
	boolean Active;
	[Static, Implemented] uint32 Echo([In] string Text, [Out] string Reply);
};

instance of __Win32Provider as $P {
	Name = "Items";
	CommandLine = "` + cmd + `";
	HostingModel = "SelfHost";
	OperationTimeoutInterval = "00000000000010.000000:000";
	` + user + extra + `
};

instance of __InstanceProviderRegistration {
	Provider = $P;
	SupportsGet = TRUE;
	SupportsEnumeration = TRUE;
	QuerySupportLevels = {"WQL:UnarySelect"};
};

instance of __MethodProviderRegistration {
	Provider = $P;
};
`
}

func compile(t testing.TB, om *cimom.ObjectManager, mof string) {
	t.Helper()
	fsys := fstest.MapFS{"p.mof": {Data: []byte(mof)}}
	if _, err := om.CompileMOF(context.Background(), fsys, "p.mof", `root\cimv2`); err != nil {
		t.Fatal(err)
	}
}

// registryOM returns an object manager in memory whose providers are the
// ones registered in it, served by a Host that the test closes.
func registryOM(t testing.TB) *cimom.ObjectManager {
	t.Helper()
	reg := NewRegistry(newHost(t, Config{}))
	t.Cleanup(reg.Close)
	om := cimom.NewMemory(cimom.WithProviderResolver(reg), cimom.WithSystemClasses(RegistrationClasses()...))
	reg.Attach(om)
	return om
}

func TestRegistrationInTheRepository(t *testing.T) {
	h := newHost(t, Config{})
	reg := NewRegistry(h)
	t.Cleanup(reg.Close)
	om := cimom.NewMemory(cimom.WithProviderResolver(reg), cimom.WithSystemClasses(RegistrationClasses()...))
	reg.Attach(om)
	svc := om.Services(`root\cimv2`)

	// Registered by MOF into a running object manager: the next call is served.
	compile(t, om, registrationMOF(t, ""))
	got, err := collect(t, svc, "SELECT Id, Name FROM T_Item")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 || got[999].Value("Name").Str() != "item-999" {
		t.Fatalf("got %d instances", len(got))
	}
	res, err := svc.ExecMethod(context.Background(), "T_Item", "Echo", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.ResultObject(wbem.Infinite); err != nil {
		t.Fatal(err)
	}
	// Not registered for writes.
	in, _ := get(svc, "T_Item.Id=1")
	err = do(svc.PutInstance(context.Background(), in, 0))
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_CAPABLE, "SupportsPut")

	running := func() *proc {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, p := range h.procs {
			return p
		}
		return nil
	}
	p := running()
	if p == nil {
		t.Fatal("no provider process")
	}

	// A changed registration stops the process; the next call uses the new one.
	compile(t, om, registrationMOF(t, `UnloadTimeout = "00000000000100.000000:000";`))
	reg.Recheck(context.Background())
	<-p.dead
	if _, err := get(svc, "T_Item.Id=1"); err != nil {
		t.Fatal(err)
	}
	p = running()

	// Deleting the registration stops it.
	if err := do(svc.DeleteInstance(context.Background(), `__Win32Provider.Name="Items"`, 0)); err != nil {
		t.Fatal(err)
	}
	reg.Recheck(context.Background())
	<-p.dead
	_, err = get(svc, "T_Item.Id=1")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND)
}

func TestBadRegistrations(t *testing.T) {
	om := registryOM(t)
	svc := om.Services(`root\cimv2`)
	compile(t, om, `
[Dynamic, Provider("Rel")] class T_Rel { [Key] uint32 Id; };
instance of __Win32Provider { Name = "Rel"; CommandLine = "relative/path"; };
[Dynamic, Provider("Core")] class T_Core { [Key] uint32 Id; };
instance of __Win32Provider { Name = "Core"; HostingModel = "WmiCore"; };
[Dynamic, Provider("Missing")] class T_Missing { [Key] uint32 Id; };
instance of __Win32Provider as $M { Name = "Missing"; CommandLine = "/nonexistent/provider"; };
instance of __InstanceProviderRegistration { Provider = $M; };
`)
	_, err := collect(t, svc, "SELECT * FROM T_Rel")
	wantStatus(t, err, cim.WBEM_E_INVALID_PARAMETER, "absolute path")
	_, err = collect(t, svc, "SELECT * FROM T_Core")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_FOUND, "WmiCore")
	_, err = collect(t, svc, "SELECT * FROM T_Missing")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_LOAD_FAILURE, "/nonexistent/provider")
}

// The registration classes are in namespaces made after the daemon
// started too: a provider registers there like anywhere else.
func TestRegistrationInANewNamespace(t *testing.T) {
	om := registryOM(t)
	compile(t, om, `#pragma namespace("\\\\.\\root")
instance of __NAMESPACE { Name = "app"; };`)
	compile(t, om, `#pragma namespace("\\\\.\\root\\app")`+"\n"+registrationMOF(t, ""))
	got, err := collect(t, om.Services(`root\app`), "SELECT Id FROM T_Item")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 {
		t.Fatalf("got %d instances", len(got))
	}
}
