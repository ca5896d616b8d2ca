// SPDX-License-Identifier: GPL-2.0-or-later
/* 16550A UART model. Transmission is instantaneous (THR is always empty again after a write), so the
 * only real state is the RX FIFO, the register file and which interrupt is pending. */
#include "serial.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/state.h"

/* register offsets */
enum { R_DATA = 0, R_IER = 1, R_IIR = 2, R_LCR = 3, R_MCR = 4, R_LSR = 5, R_MSR = 6, R_SCR = 7 };

#define IER_RDI 0x01 /* received data available */
#define IER_THRI 0x02 /* transmitter holding register empty */
#define IER_RLSI 0x04 /* receiver line status */
#define IER_MSI 0x08 /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_FIFO 0xc0 /* "FIFOs enabled", what 16550A detection looks for */

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS 0x1e

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct serial {
	pthread_mutex_t lock;
	struct bus *pio;
	struct serial_config cfg;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t lsr_err; /* sticky error bits, cleared by reading LSR */
	uint8_t msr_delta; /* low nibble of MSR, cleared by reading MSR */
	int fifo_on;
	int thr_pending; /* THRE interrupt condition; cleared by reading IIR or writing THR */
	int irq_level;
	int rx_starved; /* serial_rx() turned bytes away: tell the main loop when there is room */
	size_t rx_head, rx_count;
	uint8_t rx[SERIAL_RX_FIFO];
};

/* modem status lines: in loopback they are wired to the MCR outputs (Linux's probe checks this);
 * otherwise the "cable" reports a connected, ready peer */
static uint8_t msr_lines(const struct serial *s)
{
	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	uint8_t m = 0;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static uint8_t lsr_value(const struct serial *s)
{
	return (uint8_t)(LSR_THRE | LSR_TEMT | s->lsr_err | (s->rx_count ? LSR_DR : 0));
}

/* highest-priority enabled interrupt, as IIR reports it (without the FIFO bits) */
static uint8_t iir_pending(const struct serial *s)
{
	if ((s->ier & IER_RLSI) && s->lsr_err)
		return IIR_RLSI;
	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI;
	if ((s->ier & IER_THRI) && s->thr_pending)
		return IIR_THRI;
	if ((s->ier & IER_MSI) && s->msr_delta)
		return IIR_MSI;
	return IIR_NO_INT;
}

/* level line: recomputed after every state change, KVM is only told about edges */
static void update_irq(struct serial *s)
{
	int level = iir_pending(s) != IIR_NO_INT;
	if (level != s->irq_level) {
		s->irq_level = level;
		irq_set(&s->cfg.irq, level);
	}
}

static int rx_push(struct serial *s, uint8_t b)
{
	if (s->rx_count == SERIAL_RX_FIFO)
		return 0;
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_FIFO] = b;
	s->rx_count++;
	return 1;
}

/* returns 1 when this emptied the FIFO of a starved producer (caller notifies after unlocking) */
static int rx_clear(struct serial *s)
{
	s->rx_head = s->rx_count = 0;
	int notify = s->rx_starved;
	s->rx_starved = 0;
	return notify;
}

static void set_mcr(struct serial *s, uint8_t v)
{
	uint8_t old = msr_lines(s);
	s->mcr = v & 0x1f;
	uint8_t now = msr_lines(s);
	uint8_t chg = old ^ now;
	if (chg & MSR_CTS)
		s->msr_delta |= 0x01;
	if (chg & MSR_DSR)
		s->msr_delta |= 0x02;
	if ((old & MSR_RI) && !(now & MSR_RI))
		s->msr_delta |= 0x04; /* trailing edge of RI only */
	if (chg & MSR_DCD)
		s->msr_delta |= 0x08;
}

struct io_result {
	uint8_t out[8];
	unsigned nout;
	int notify;
};

static void write_reg(struct serial *s, unsigned off, uint8_t v, struct io_result *res)
{
	int dlab = s->lcr & LCR_DLAB;
	switch (off) {
	case R_DATA:
		if (dlab) {
			s->dll = v;
			break;
		}
		if (s->mcr & MCR_LOOP) {
			if (!rx_push(s, v))
				s->lsr_err |= LSR_OE;
		} else if (res->nout < sizeof(res->out)) {
			res->out[res->nout++] = v;
		}
		/* the byte left at once: THR is empty again and says so */
		s->thr_pending = 1;
		break;
	case R_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thr_pending = 1; /* enabling ETBEI with THR empty interrupts at once */
		if (!(v & IER_THRI))
			s->thr_pending = 0;
		s->ier = v & 0x0f;
		break;
	case R_IIR: /* FCR */
		if ((v & FCR_ENABLE) != s->fifo_on || (v & FCR_CLEAR_RX)) {
			/* toggling FIFO mode clears the FIFOs, as on a real 16550 */
			if (rx_clear(s))
				res->notify = 1;
		}
		s->fifo_on = v & FCR_ENABLE;
		break;
	case R_LCR:
		s->lcr = v;
		break;
	case R_MCR:
		set_mcr(s, v);
		break;
	case R_SCR:
		s->scr = v;
		break;
	default: /* LSR, MSR: writes go nowhere */
		break;
	}
}

static uint8_t read_reg(struct serial *s, unsigned off, struct io_result *res)
{
	int dlab = s->lcr & LCR_DLAB;
	uint8_t v = 0;
	switch (off) {
	case R_DATA:
		if (dlab)
			return s->dll;
		if (s->rx_count) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
			if (--s->rx_count == 0 && rx_clear(s))
				res->notify = 1;
		}
		return v;
	case R_IER:
		return dlab ? s->dlm : s->ier;
	case R_IIR:
		v = iir_pending(s);
		if (v == IIR_THRI)
			s->thr_pending = 0; /* reading IIR acknowledges THRE */
		return (uint8_t)(v | (s->fifo_on ? IIR_FIFO : 0));
	case R_LCR:
		return s->lcr;
	case R_MCR:
		return s->mcr;
	case R_LSR:
		v = lsr_value(s);
		s->lsr_err = 0;
		return v;
	case R_MSR:
		v = (uint8_t)(msr_lines(s) | s->msr_delta);
		s->msr_delta = 0;
		return v;
	default:
		return s->scr;
	}
}

static void finish(struct serial *s, const struct io_result *res)
{
	if (res->nout && s->cfg.tx)
		s->cfg.tx(s->cfg.tx_opaque, res->out, res->nout);
	if (res->notify && s->cfg.rx_ready)
		s->cfg.rx_ready(s->cfg.rx_ready_opaque);
}

/* a wider access is a run of byte accesses at consecutive ports, as on the ISA bus */
static void serial_read(void *opaque, uint64_t offset, void *data, unsigned size)
{
	struct serial *s = opaque;
	struct io_result res = { .nout = 0 };
	uint8_t *d = data;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < size; i++)
		d[i] = read_reg(s, (unsigned)((offset + i) & 7), &res);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	finish(s, &res);
}

static void serial_write(void *opaque, uint64_t offset, const void *data, unsigned size)
{
	struct serial *s = opaque;
	struct io_result res = { .nout = 0 };
	const uint8_t *d = data;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < size; i++)
		write_reg(s, (unsigned)((offset + i) & 7), d[i], &res);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	finish(s, &res);
}

static const struct bus_ops serial_ops = { serial_read, serial_write };

size_t serial_rx(struct serial *s, const uint8_t *buf, size_t n)
{
	size_t i;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < n && rx_push(s, buf[i]); i++)
		;
	if (i < n)
		s->rx_starved = 1;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return i;
}

size_t serial_rx_room(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	size_t room = SERIAL_RX_FIFO - s->rx_count;
	pthread_mutex_unlock(&s->lock);
	return room;
}

int serial_create(struct serial **out, struct bus *pio, const struct serial_config *cfg)
{
	struct serial *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pio = pio;
	s->cfg = *cfg;
	s->lcr = 0x03; /* 8N1 */
	s->mcr = MCR_OUT2;
	s->dll = 0x0c; /* 9600 baud */
	pthread_mutex_init(&s->lock, NULL);
	int ret = bus_register(pio, cfg->base, 8, &serial_ops, s, "serial");
	if (ret < 0) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	bus_unregister(s->pio, s->cfg.base, s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---- saved state: ier lcr mcr scr dll dlm lsr_err msr_delta fifo_on thr_pending (u8 each),
 * rx_count (u16), then the RX FIFO bytes oldest first ---- */

int serial_state_save(const struct serial *cs, struct state_writer *w)
{
	struct serial *s = (struct serial *)cs; /* the lock is not part of the state */
	pthread_mutex_lock(&s->lock);
	const uint8_t regs[10] = { s->ier, s->lcr, s->mcr, s->scr, s->dll, s->dlm, s->lsr_err, s->msr_delta,
				   (uint8_t)s->fifo_on, (uint8_t)s->thr_pending };
	state_put_bytes(w, regs, sizeof(regs));
	state_put_u16(w, (uint16_t)s->rx_count);
	for (size_t i = 0; i < s->rx_count; i++)
		state_put_u8(w, s->rx[(s->rx_head + i) % SERIAL_RX_FIFO]);
	pthread_mutex_unlock(&s->lock);
	return state_writer_err(w);
}

int serial_state_load(struct serial *s, struct state_reader *r, uint32_t version)
{
	uint8_t g[10];
	state_get_bytes(r, g, sizeof(g));
	size_t n = state_get_u16(r);
	if (n > SERIAL_RX_FIFO)
		state_reader_invalid(r);
	const uint8_t *rx = state_get_ptr(r, n); /* copied in once everything has been checked */
	int e = state_reader_done(r);
	if (e)
		return e;
	/* what the register writes could have produced, nothing else */
	if ((g[0] & ~0x0f) || (g[2] & ~0x1f) || (g[6] & ~LSR_ERRORS) || (g[7] & ~0x0f) || g[8] > 1 || g[9] > 1)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	s->ier = g[0];
	s->lcr = g[1];
	s->mcr = g[2];
	s->scr = g[3];
	s->dll = g[4];
	s->dlm = g[5];
	s->lsr_err = g[6];
	s->msr_delta = g[7];
	s->fifo_on = g[8];
	s->thr_pending = g[9];
	memcpy(s->rx, rx, n);
	s->rx_head = 0;
	s->rx_count = n;
	s->rx_starved = 0;
	s->irq_level = -1; /* drive the line whatever it was */
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return serial_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return serial_state_load(o, r, v); }
const struct state_ops serial_state_ops = { "serial", 1, 1, save_op, load_op };
