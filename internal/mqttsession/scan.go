package mqttsession

// MQTT control packet types the adapter reads.
const (
	typeConnack = 2
	typePublish = 3
)

// scanner follows the MQTT packets of a byte stream as paho reads it, in
// whatever pieces, and keeps the few bytes the adapter needs: a CONNACK's
// body, a PUBLISH's topic. Only one goroutine reads a connection at a time.
type scanner struct {
	state     int // 0: fixed header byte, 1: remaining length, 2: body
	typ       byte
	remaining int
	shift     uint
	keep      int // how many body bytes to keep
	kept      []byte
}

// scan follows p; done is called at the end of each packet.
func (s *scanner) scan(p []byte, done func(typ byte, kept []byte)) {
	for i := 0; i < len(p); {
		switch s.state {
		case 0:
			s.typ, s.remaining, s.shift, s.kept = p[i]>>4, 0, 0, s.kept[:0]
			s.state = 1
			i++
		case 1:
			b := p[i]
			i++
			s.remaining |= int(b&0x7f) << s.shift
			s.shift += 7
			if b&0x80 != 0 && s.shift < 28 {
				continue
			}
			switch s.typ {
			case typeConnack, typePublish:
				s.keep = 2 // the CONNACK, or the PUBLISH's topic length
			default:
				s.keep = 0
			}
			s.state = 2
			if s.remaining == 0 {
				s.end(done)
			}
		case 2:
			k := min(s.remaining, len(p)-i)
			if want := s.keep - len(s.kept); want > 0 {
				k = min(k, want)
				s.kept = append(s.kept, p[i:i+k]...)
				if s.typ == typePublish && s.keep == 2 && len(s.kept) == 2 {
					s.keep = 2 + (int(s.kept[0])<<8 | int(s.kept[1]))
				}
			}
			s.remaining -= k
			i += k
			if s.remaining == 0 {
				s.end(done)
			}
		}
	}
}

func (s *scanner) end(done func(byte, []byte)) {
	s.state = 0
	if len(s.kept) == s.keep {
		done(s.typ, s.kept)
	}
}
