package wsman

import (
	"bytes"
	"testing"
)

// Large response buffers are reused across requests (and collections), but
// the free list never holds more than maxPooledBytes, nor any buffer over
// maxPooledBuf.
func TestBigBufferPool(t *testing.T) {
	bigPool.mu.Lock()
	saved, savedBytes := bigPool.free, bigPool.bytes
	bigPool.free, bigPool.bytes = nil, 0
	bigPool.mu.Unlock()
	t.Cleanup(func() {
		bigPool.mu.Lock()
		bigPool.free, bigPool.bytes = saved, savedBytes
		bigPool.mu.Unlock()
	})

	var bufs []*bytes.Buffer
	for range 2 * maxPooledBytes / (1 << 20) {
		bufs = append(bufs, getBigBuf(1<<20))
	}
	for _, b := range bufs {
		b.WriteString("x")
		putBuf(b)
	}
	bigPool.mu.Lock()
	n, held := len(bigPool.free), bigPool.bytes
	bigPool.mu.Unlock()
	if held > maxPooledBytes || n == 0 || n == len(bufs) {
		t.Fatalf("the free list holds %d buffers, %d bytes, of %d put (bound %d bytes)", n, held, len(bufs), maxPooledBytes)
	}
	if b := getBigBuf(1 << 20); b.Len() != 0 || b.Cap() < 1<<20 {
		t.Fatalf("a reused buffer: len %d cap %d", b.Len(), b.Cap())
	} else if b != bufs[n-1] {
		t.Fatal("getBigBuf did not reuse the last buffer put back")
	}
	huge := getBigBuf(2 * maxPooledBuf)
	putBuf(huge)
	bigPool.mu.Lock()
	defer bigPool.mu.Unlock()
	for _, b := range bigPool.free {
		if b == huge {
			t.Fatal("a buffer over maxPooledBuf was kept")
		}
	}
}
