package wmi

import (
	"runtime"
	"syscall"
	"unsafe"

	"github.com/go-ole/go-ole"
	"golang.org/x/sys/windows"
)

// The COM classes and interfaces, with WMI's GUIDs (wbemcli.h).
var (
	clsidWbemLocator        = ole.NewGUID("{4590f811-1d3a-11d0-891f-00aa004b2e24}")
	iidWbemLocator          = ole.NewGUID("{dc12a687-737f-11cf-884d-00aa004b2e24}")
	iidWbemClassObject      = ole.NewGUID("{dc12a681-737f-11cf-884d-00aa004b2e24}")
	clsidWbemStatusCodeText = ole.NewGUID("{eb87e1bd-3233-11d2-aec9-00c04fb68820}")
	iidWbemStatusCodeText   = ole.NewGUID("{eb87e1bc-3233-11d2-aec9-00c04fb68820}")
)

// Vtable slots, IUnknown's three first.
const (
	mQueryInterface = 0
	mAddRef         = 1
	mRelease        = 2

	// IWbemLocator
	mConnectServer = 3

	// IWbemServices
	mOpenNamespace         = 3
	mGetObject             = 6
	mPutClass              = 8
	mDeleteClass           = 10
	mCreateClassEnum       = 12
	mPutInstance           = 14
	mDeleteInstance        = 16
	mCreateInstanceEnum    = 18
	mExecQuery             = 20
	mExecNotificationQuery = 22
	mExecMethod            = 24

	// IEnumWbemClassObject
	mEnumNext = 4

	// IWbemCallResult
	mGetResultObject   = 3
	mGetResultString   = 4
	mGetResultServices = 5
	mGetCallStatus     = 6

	// IWbemClassObject
	mGetQualifierSet         = 3
	mGet                     = 4
	mPut                     = 5
	mBeginEnumeration        = 8
	mNext                    = 9
	mEndEnumeration          = 10
	mGetPropertyQualifierSet = 11
	mSpawnDerivedClass       = 14
	mSpawnInstance           = 15
	mGetPropertyOrigin       = 17
	mGetMethod               = 19
	mBeginMethodEnumeration  = 22
	mNextMethod              = 23
	mEndMethodEnumeration    = 24
	mGetMethodQualifierSet   = 25
	mGetMethodOrigin         = 26

	// IWbemQualifierSet
	mQualPut              = 4
	mQualBeginEnumeration = 7
	mQualNext             = 8
	mQualEndEnumeration   = 9

	// IWbemStatusCodeText
	mGetErrorCodeText = 3
)

// HRESULTs and flags of the calls.
const (
	sOK                    = 0
	sFalse                 = 1
	wbemSTimedOut          = 0x40004
	wbemSNoMoreData        = 0x40005
	wbemFlagNonSystemOnly  = 0x40
	wbemFlagConnectMaxWait = 0x80
)

var (
	oleaut32                  = windows.NewLazySystemDLL("oleaut32.dll")
	procSafeArrayCreateVector = oleaut32.NewProc("SafeArrayCreateVector")
	procSafeArrayGetLBound    = oleaut32.NewProc("SafeArrayGetLBound")
	procSafeArrayGetUBound    = oleaut32.NewProc("SafeArrayGetUBound")
	procSafeArrayGetVartype   = oleaut32.NewProc("SafeArrayGetVartype")
	procSafeArrayGetElement   = oleaut32.NewProc("SafeArrayGetElement")
	procSafeArrayPutElement   = oleaut32.NewProc("SafeArrayPutElement")
	procSafeArrayDestroy      = oleaut32.NewProc("SafeArrayDestroy")
	procGetErrorInfo          = oleaut32.NewProc("GetErrorInfo")
	ole32                     = windows.NewLazySystemDLL("ole32.dll")
	procCoSetProxyBlanket     = ole32.NewProc("CoSetProxyBlanket")
	procWineGetVersion        = windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version")
)

// onWine reports whether the program runs under Wine, whose WMI (wbemprox)
// lacks IWbemCallResult and semisynchronous delivery.
func onWine() bool { return procWineGetVersion.Find() == nil }

// object is any COM interface pointer: a pointer to its vtable pointer.
type object struct {
	vtbl *[32]uintptr
}

// call invokes vtable slot m with o as "this". Pointer arguments converted
// with uintptr(unsafe.Pointer(p)) at the call site stay alive and in place
// for the call (uintptrescapes).
//
//go:uintptrescapes
func (o *object) call(m int, args ...uintptr) uint32 {
	all := make([]uintptr, 0, len(args)+1)
	all = append(all, uintptr(unsafe.Pointer(o)))
	all = append(all, args...)
	r, _, _ := syscall.SyscallN(o.vtbl[m], all...)
	return uint32(r)
}

func (o *object) addRef() {
	if o != nil {
		o.call(mAddRef)
	}
}

func (o *object) release() {
	if o != nil {
		o.call(mRelease)
	}
}

func (o *object) queryInterface(iid *ole.GUID) (*object, uint32) {
	var out *object
	hr := o.call(mQueryInterface, uintptr(unsafe.Pointer(iid)), uintptr(unsafe.Pointer(&out)))
	return out, hr
}

func failed(hr uint32) bool { return hr&0x80000000 != 0 }

// bstr is a BSTR: COM-allocated UTF-16, freed with free. The zero bstr is
// NULL.
type bstr struct{ p *int16 }

func newBSTR(s string) bstr { return bstr{ole.SysAllocStringLen(s)} }

func (b bstr) ptr() uintptr { return uintptr(unsafe.Pointer(b.p)) }

func (b bstr) free() {
	if b.p != nil {
		ole.SysFreeString(b.p)
	}
}

// takeBSTR converts a BSTR WMI returned and frees it.
func takeBSTR(p *uint16) string {
	if p == nil {
		return ""
	}
	s := ole.BstrToString(p)
	ole.SysFreeString((*int16)(unsafe.Pointer(p)))
	return s
}

// readVariant decodes a VARIANT; embedded objects go through obj.
func readVariant(v *ole.VARIANT, obj func(*object) (variant, error)) (variant, error) {
	vt := uint16(v.VT)
	if vt&vtArray != 0 {
		psa := *(*uintptr)(unsafe.Pointer(&v.Val))
		return readArray(psa, vt&^vtArray, obj)
	}
	return readScalar(vt, unsafe.Pointer(&v.Val), obj)
}

// readScalar decodes a scalar of type vt stored at p (a VARIANT's value or
// a safe array element).
func readScalar(vt uint16, p unsafe.Pointer, obj func(*object) (variant, error)) (variant, error) {
	out := variant{vt: vt}
	switch vt {
	case vtEmpty, vtNull:
	case vtI1:
		out.i = int64(*(*int8)(p))
	case vtUI1:
		out.i = int64(*(*uint8)(p))
	case vtI2:
		out.i = int64(*(*int16)(p))
	case vtUI2:
		out.i = int64(*(*uint16)(p))
	case vtI4:
		out.i = int64(*(*int32)(p))
	case vtUI4:
		out.i = int64(*(*uint32)(p))
	case vtI8, vtUI8:
		out.i = *(*int64)(p)
	case vtBool:
		if *(*int16)(p) != 0 {
			out.i = 1
		}
	case vtR4:
		out.f = float64(*(*float32)(p))
	case vtR8:
		out.f = *(*float64)(p)
	case vtBSTR:
		if s := *(**uint16)(p); s != nil {
			out.s = ole.BstrToString(s)
		}
	case vtUnknown, vtDispatch:
		o := *(**object)(p)
		if o == nil {
			return variant{vt: vtNull}, nil
		}
		return obj(o)
	default:
		return variant{}, &wmiTypeError{vt}
	}
	return out, nil
}

type wmiTypeError struct{ vt uint16 }

func (e *wmiTypeError) Error() string { return "WMI gave a VARIANT of type " + vtName(e.vt) }

// readArray decodes a one-dimensional SAFEARRAY of element type vt.
func readArray(psa uintptr, vt uint16, obj func(*object) (variant, error)) (variant, error) {
	out := variant{vt: vtArray | vt}
	if psa == 0 {
		return out, nil
	}
	var lo, hi int32
	procSafeArrayGetLBound.Call(psa, 1, uintptr(unsafe.Pointer(&lo)))
	if hr, _, _ := procSafeArrayGetUBound.Call(psa, 1, uintptr(unsafe.Pointer(&hi))); failed(uint32(hr)) {
		return variant{}, hresultError("", uint32(hr), "reading an array")
	}
	var real uint16
	if hr, _, _ := procSafeArrayGetVartype.Call(psa, uintptr(unsafe.Pointer(&real))); !failed(uint32(hr)) && real != 0 {
		vt = real
		out.vt = vtArray | vt
	}
	for i := lo; i <= hi; i++ {
		var cell [3]uint64 // large enough for a VARIANT
		idx := i
		if hr, _, _ := procSafeArrayGetElement.Call(psa, uintptr(unsafe.Pointer(&idx)), uintptr(unsafe.Pointer(&cell))); failed(uint32(hr)) {
			return variant{}, hresultError("", uint32(hr), "reading an array element")
		}
		var e variant
		var err error
		switch vt {
		case vtVariant:
			v := (*ole.VARIANT)(unsafe.Pointer(&cell))
			e, err = readVariant(v, obj)
			ole.VariantClear(v)
		case vtBSTR:
			e = variant{vt: vtBSTR, s: takeBSTR(*(**uint16)(unsafe.Pointer(&cell)))}
		case vtUnknown, vtDispatch:
			o := *(**object)(unsafe.Pointer(&cell))
			e, err = readScalar(vt, unsafe.Pointer(&cell), obj)
			o.release() // SafeArrayGetElement AddRef'd it
		default:
			e, err = readScalar(vt, unsafe.Pointer(&cell), obj)
		}
		if err != nil {
			return variant{}, err
		}
		out.arr = append(out.arr, e)
	}
	return out, nil
}

// writeVariant encodes v into a VARIANT, which the caller clears with
// ole.VariantClear; embedded objects go through obj, which returns an
// AddRef'd IWbemClassObject.
func writeVariant(v variant, obj func(variant) (*object, error)) (ole.VARIANT, error) {
	var out ole.VARIANT
	if v.vt&vtArray != 0 {
		vt := v.vt &^ vtArray
		psa, _, _ := procSafeArrayCreateVector.Call(uintptr(vt), 0, uintptr(len(v.arr)))
		if psa == 0 {
			return out, hresultError("", 0x8007000E, "")
		}
		for i, e := range v.arr {
			idx := int32(i)
			var hr uintptr
			switch vt {
			case vtBSTR:
				b := newBSTR(e.s)
				hr, _, _ = procSafeArrayPutElement.Call(psa, uintptr(unsafe.Pointer(&idx)), b.ptr())
				b.free() // SafeArrayPutElement copied it
			case vtUnknown:
				o, err := obj(e)
				if err != nil {
					procSafeArrayDestroy.Call(psa)
					return out, err
				}
				hr, _, _ = procSafeArrayPutElement.Call(psa, uintptr(unsafe.Pointer(&idx)), uintptr(unsafe.Pointer(o)))
				o.release() // SafeArrayPutElement AddRef'd it
			default:
				var cell [2]uint64
				putScalar(vt, e, unsafe.Pointer(&cell))
				hr, _, _ = procSafeArrayPutElement.Call(psa, uintptr(unsafe.Pointer(&idx)), uintptr(unsafe.Pointer(&cell)))
			}
			if failed(uint32(hr)) {
				procSafeArrayDestroy.Call(psa)
				return out, hresultError("", uint32(hr), "writing an array element")
			}
		}
		out.VT = ole.VT(v.vt)
		*(*uintptr)(unsafe.Pointer(&out.Val)) = psa
		return out, nil
	}
	out.VT = ole.VT(v.vt)
	switch v.vt {
	case vtBSTR:
		*(**int16)(unsafe.Pointer(&out.Val)) = ole.SysAllocStringLen(v.s)
	case vtUnknown:
		o, err := obj(v)
		if err != nil {
			return ole.VARIANT{}, err
		}
		*(**object)(unsafe.Pointer(&out.Val)) = o // VariantClear releases it
	default:
		putScalar(v.vt, v, unsafe.Pointer(&out.Val))
	}
	return out, nil
}

func putScalar(vt uint16, v variant, p unsafe.Pointer) {
	switch vt {
	case vtI1, vtUI1:
		*(*uint8)(p) = uint8(v.i)
	case vtI2, vtUI2:
		*(*int16)(p) = int16(v.i)
	case vtI4, vtUI4:
		*(*int32)(p) = int32(v.i)
	case vtI8, vtUI8:
		*(*int64)(p) = v.i
	case vtBool:
		if v.i != 0 {
			*(*int16)(p) = -1 // VARIANT_TRUE
		}
	case vtR4:
		*(*float32)(p) = float32(v.f)
	case vtR8:
		*(*float64)(p) = v.f
	}
}

// runMTA runs fn on a new OS thread of its own, joined to COM's
// multithreaded apartment for fn's duration. The goroutine never unlocks
// the thread, so the runtime retires the thread with it and no goroutine
// inherits its COM state.
func runMTA(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		var err error
		defer func() {
			if r := recover(); r != nil {
				err = &panicError{r}
			}
			done <- err
		}()
		if hr := coInitializeEx(); failed(hr) {
			err = hresultError("CoInitializeEx", hr, "")
			return
		}
		defer ole.CoUninitialize()
		err = fn()
	}()
	return <-done
}

type panicError struct{ v any }

func (p *panicError) Error() string { return "wmi: panic on the COM thread: " + fmtAny(p.v) }

func coInitializeEx() uint32 {
	err := ole.CoInitializeEx(0, ole.COINIT_MULTITHREADED)
	if err == nil {
		return sOK
	}
	if oe, ok := err.(*ole.OleError); ok {
		return uint32(oe.Code()) // S_FALSE (already initialised) is success
	}
	return 0x80004005
}

// setBlanket sets the security of a proxy (an IWbemServices, an enumerator,
// a call result): impersonation, so that providers act as the caller, and
// for a remote connection with credentials the identity and packet privacy.
// An in-process object (Wine's WMI, or a local WMI that hands out direct
// pointers) has no proxy: E_NOINTERFACE then is no failure.
func setBlanket(o *object, id *coAuthIdentity) {
	const (
		authnDefault    = 0xFFFFFFFF
		authzNone       = 0
		levelCall       = 3
		levelPktPrivacy = 6
		impImpersonate  = 3
		eoacNone        = 0
	)
	level, auth := uintptr(levelCall), uintptr(0)
	if id != nil {
		level, auth = levelPktPrivacy, uintptr(unsafe.Pointer(id))
	}
	procCoSetProxyBlanket.Call(uintptr(unsafe.Pointer(o)), authnDefault, authzNone, 0, level, impImpersonate, auth, eoacNone)
}

// coAuthIdentity is COAUTHIDENTITY (Unicode).
type coAuthIdentity struct {
	user           *uint16
	userLength     uint32
	domain         *uint16
	domainLength   uint32
	password       *uint16
	passwordLength uint32
	flags          uint32
}

func newIdentity(user, password string) *coAuthIdentity {
	domain := ""
	for i := range len(user) {
		if user[i] == '\\' {
			domain, user = user[:i], user[i+1:]
			break
		}
	}
	u, _ := windows.UTF16FromString(user)
	d, _ := windows.UTF16FromString(domain)
	p, _ := windows.UTF16FromString(password)
	return &coAuthIdentity{user: &u[0], userLength: uint32(len(u) - 1), domain: &d[0], domainLength: uint32(len(d) - 1),
		password: &p[0], passwordLength: uint32(len(p) - 1), flags: 2 /* SEC_WINNT_AUTH_IDENTITY_UNICODE */}
}
