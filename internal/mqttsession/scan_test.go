package mqttsession

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// packet encodes an MQTT packet: the fixed header byte, the remaining
// length and the body.
func packet(header byte, body []byte) []byte {
	out := []byte{header}
	n := len(body)
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			break
		}
	}
	return append(out, body...)
}

// publish encodes a PUBLISH of payload to topic, with a packet id at QoS 1.
func publish(topic string, qos byte, payload []byte) []byte {
	body := append([]byte{byte(len(topic) >> 8), byte(len(topic))}, topic...)
	if qos > 0 {
		body = append(body, 0, 1)
	}
	return packet(0x30|qos<<1, append(body, payload...))
}

// The scanner finds the CONNACK code and every PUBLISH topic in a stream
// read in pieces of any size, whatever the packets' lengths.
func TestScanner_FindsConnackAndTopics_InAnyPieces(t *testing.T) {
	var stream bytes.Buffer
	stream.Write(packet(0x20, []byte{0, 4}))
	topics := []string{"$SYS/tokenExpireNotice", "a/b", string(bytes.Repeat([]byte("t"), 300))}
	for i, tp := range topics {
		stream.Write(publish(tp, byte(i%2), bytes.Repeat([]byte{'x'}, 200*i)))
		stream.Write(packet(0xd0, nil)) // PINGRESP
	}
	stream.Write(packet(0x20, []byte{0, 0, 3, 0x11, 0, 0})) // an MQTT 5 CONNACK with properties, later
	b := stream.Bytes()
	for _, size := range []int{1, 2, 3, 7, 64, len(b)} {
		var s scanner
		var codes []byte
		var got []string
		for i := 0; i < len(b); i += size {
			s.scan(b[i:min(i+size, len(b))], func(typ byte, kept []byte) {
				switch typ {
				case typeConnack:
					codes = append(codes, kept[1])
				case typePublish:
					got = append(got, string(kept[2:]))
				}
			})
		}
		assert.Equal(t, []byte{4, 0}, codes, "pieces of %d", size)
		assert.Equal(t, topics, got, "pieces of %d", size)
	}
}

// Garbage never panics the scanner.
func FuzzScanner(f *testing.F) {
	f.Add(publish("$SYS/tokenInvalidNotice", 1, []byte(`{"code":2}`)))
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var s scanner
		s.scan(b, func(byte, []byte) {})
	})
}
