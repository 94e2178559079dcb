package wsman

// XML namespaces of WS-Management and its companions (DSP0226, DSP0227,
// DSP0230, WS-Addressing 2004/08, WS-Enumeration and WS-Transfer 2004/09).
const (
	nsSOAP    = "http://www.w3.org/2003/05/soap-envelope"
	nsWSA     = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMAN   = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsWSEN    = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	nsWXF     = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsWSMID   = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
	nsWSMB    = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
	nsCIM     = "http://schemas.dmtf.org/wbem/wscim/1/common"
	nsXSI     = "http://www.w3.org/2001/XMLSchema-instance"
	nsMSFault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
	nsMSWSMAN = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"

	// NamespaceGowbem is the namespace of gowbem's own extensions: class
	// definitions, the extended WBEM status in faults, and options.
	NamespaceGowbem = "http://schemas.gowbem.org/wbem/wsman/1"

	anonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
)

// Actions.
const (
	actGet             = nsWXF + "/Get"
	actPut             = nsWXF + "/Put"
	actCreate          = nsWXF + "/Create"
	actDelete          = nsWXF + "/Delete"
	actEnumerate       = nsWSEN + "/Enumerate"
	actPull            = nsWSEN + "/Pull"
	actRelease         = nsWSEN + "/Release"
	actRenew           = nsWSEN + "/Renew"
	actGetStatus       = nsWSEN + "/GetStatus"
	actFaultWSMan      = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	actFaultAddressing = nsWSA + "/fault"
	actFaultEnum       = nsWSEN + "/fault"
	actFaultTransfer   = nsWXF + "/fault"
)

// Filter dialects.
const (
	DialectWQL         = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
	DialectCQL         = "http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf"
	DialectSelector    = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
	DialectAssociation = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"
	// DialectEvent is gowbem's dialect for a WQL event query: the enumeration
	// is the semisynchronous ExecNotificationQuery, and a Pull times out while
	// no event comes.
	DialectEvent = NamespaceGowbem + "/WQLEvent"
	// DialectLanguagePrefix followed by a query language's name passes a
	// query in that language to the object manager (which accepts only WQL;
	// this is how a client learns that through the WBEM status).
	DialectLanguagePrefix = NamespaceGowbem + "/QueryLanguage/"
)

// Resource URIs.
const (
	// URIPrefixWMI is WMI's prefix: the namespace and the class follow,
	// e.g. …/wmi/root/cimv2/Win32_Process.
	URIPrefixWMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
	// URIPrefixDMTF is DMTF's prefix for CIM schema classes (CIM_*).
	URIPrefixDMTF = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
	// URIAllClasses is DSP0227's all-classes URI, used with filters.
	URIAllClasses = "http://schemas.dmtf.org/wbem/wscim/1/*"
	// URIClassDefinition is gowbem's resource of class definitions: Get,
	// Put, Delete and Enumerate of classes (see the package doc).
	URIClassDefinition = NamespaceGowbem + "/ClassDefinition"
	// URINamespace is gowbem's resource of namespaces: a Get with the
	// selector Name opens a namespace relative to __cimnamespace.
	URINamespace = NamespaceGowbem + "/Namespace"

	faultDetailPrefix = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
)

// Names of selectors and options with a meaning of their own.
const (
	selNamespace = "__cimnamespace"
	// OptionFlags is gowbem's option carrying WMI's flags (a decimal number)
	// for Put, Create and Enumerate: WBEM_FLAG_CREATE_ONLY,
	// WBEM_FLAG_UPDATE_ONLY, WBEM_FLAG_SHALLOW, the update modes.
	OptionFlags = "gowbem_Flags"
)
