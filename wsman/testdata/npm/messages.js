// A message factory over Intel's @device-management-toolkit/wsman-messages:
// wsman's TestWSManMessages writes one JSON request a line on stdin and
// reads the envelope the package builds for it, one JSON line on stdout
// ({"xml": …} or {"error": …}). The package only builds messages; the Go
// test sends them to gowbem's server and checks the answers.
//
// A request names a package ("CIM", "AMT", "IPS"), a class of its Messages
// object and a call with its arguments, e.g.
//   {"pkg":"CIM","class":"Processor","call":"Pull","args":["uuid:…"]}
// The package has no Identify and no Release: "Identify" and "Release" (of
// a class, with the context in args[0]) are framed with its own
// WSManMessageCreator, as its other messages are. "PullLimits" is a Pull
// with MaxElements and MaxCharacters of the caller's (args: context,
// maxElements, maxCharacters), through the package's createCommonBody.Pull.
'use strict'
const readline = require('readline')
const { AMT, CIM, IPS } = require('@device-management-toolkit/wsman-messages')

const pkgs = { CIM: new CIM.Messages(), AMT: new AMT.Messages(), IPS: new IPS.Messages() }

function build (req) {
  const msgs = pkgs[req.pkg]
  if (!msgs) throw new Error('no package ' + req.pkg)
  const creator = msgs.wsmanMessageCreator
  const args = req.args || []
  switch (req.call) {
    case 'Identify':
      return creator.createXml('<Header/>',
        '<Body><Identify xmlns="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"/></Body>')
    case 'Release': {
      const header = creator.createHeader('http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release', msgs[req.class].className)
      return creator.createXml(header,
        '<Body><Release xmlns="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><EnumerationContext>' + args[0] +
        '</EnumerationContext></Release></Body>')
    }
    case 'PullLimits': {
      const header = creator.createHeader('http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull', msgs[req.class].className)
      return creator.createXml(header, creator.createCommonBody.Pull(args[0], args[1], args[2]))
    }
  }
  const obj = msgs[req.class]
  if (!obj || typeof obj[req.call] !== 'function') throw new Error('no call ' + req.pkg + '.' + req.class + '.' + req.call)
  return obj[req.call](...args)
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  let out
  try {
    out = { xml: build(JSON.parse(line)) }
  } catch (e) {
    out = { error: String(e && e.message ? e.message : e) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
