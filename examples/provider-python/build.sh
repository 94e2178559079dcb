#!/bin/sh
# build.sh DEST: puts provider.py and the Python modules it needs, generated
# from the gRPC service's definition (internal/providerwire/provider.proto)
# and go-plugin's health and controller services, into the directory DEST.
# Needs Debian's python3-grpcio and python3-grpc-tools; PYTHON names another
# interpreter than /usr/bin/python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: build.sh DEST}
python=${PYTHON:-/usr/bin/python3}
mkdir -p "$dest"
"$python" -m grpc_tools.protoc -I "$here/../../internal/providerwire" -I "$here" \
	--python_out="$dest" --grpc_python_out="$dest" provider.proto health.proto controller.proto
cp "$here/provider.py" "$dest/provider.py"
chmod 755 "$dest/provider.py"
