package wmi

// Scheme is the URL scheme this package registers with wbem.Connect.
const Scheme = "wmi"
