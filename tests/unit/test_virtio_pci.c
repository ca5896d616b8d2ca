// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-pci modern transport through a real PCI host: config space over 0xCF8/0xCFC, the BAR on
 * the mmio bus. Capabilities, feature negotiation, queue setup, notify without ioeventfd, INTx +
 * ISR, MSI-X masking / pending bits / irqfd routing, ioeventfds following a moved BAR, reset. */
#include "unit.h"
#include "vring.h"
#include "pci_drv.h"
#include "devices/pci.h"
#include "virtio/queue.h"
#include "vmm/bus.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define SLOT 1
#define GSI (16 + SLOT)

struct dummy {
	struct virtio_dev vd;
	int handled;
	uint8_t config[4];
	struct virtq_chain c;
};

static void d_cfg(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	memcpy(data, ((struct dummy *)vd)->config + off, size);
}
static void d_handle(struct virtio_dev *vd, unsigned q)
{
	struct dummy *d = (struct dummy *)vd;
	struct virtq *vq = virtio_dev_queue(vd, q);
	d->handled++;
	while (virtq_pop(vq, &d->c) > 0)
		virtq_push(vq, d->c.head, 0);
	virtq_notify(vq);
}
static const struct virtio_dev_ops d_ops = { .config_read = d_cfg, .handle_queue = d_handle };

/* recorder for everything the transport asks of the VM */
struct rec {
	struct irq_recorder irq;
	int nroutes, nunroutes, live_routes;
	int route_efd;
	uint64_t route_addr;
	uint32_t route_data;
	int ioev_live;
	uint64_t ioev_addr[4];
};
static int r_irqfd(void *o, int efd, uint64_t addr, uint32_t data)
{
	struct rec *r = o;
	r->live_routes++;
	r->route_efd = efd;
	r->route_addr = addr;
	r->route_data = data;
	/* routes are made on the I/O thread: the count publishes the fields above */
	int n = __atomic_add_fetch(&r->nroutes, 1, __ATOMIC_RELEASE);
	return 100 + n;
}
static int r_unroute(void *o, int efd, int handle)
{
	struct rec *r = o;
	r->nunroutes++;
	r->live_routes--;
	return 0;
}
static int r_ioev(void *o, uint64_t addr, unsigned len, int is_pio, int64_t dm, int efd, int assign)
{
	struct rec *r = o;
	ck_assert(len == 0 || len == 2); /* 0: any width (KVM's fast MMIO path) */
	ck_assert_int_eq(dm, -1);
	ck_assert_int_ge(efd, 0);
	if (assign && r->ioev_live < 4)
		r->ioev_addr[r->ioev_live] = addr;
	r->ioev_live += assign ? 1 : -1;
	return 0;
}
static const struct vm_hooks plain_hooks = { .set_irq = irqrec_set, .signal_msi = irqrec_msi };
static const struct vm_hooks kvm_like_hooks = {
	.set_irq = irqrec_set, .signal_msi = irqrec_msi, .msi_irqfd = r_irqfd, .msi_unroute = r_unroute,
	.ioeventfd = r_ioev,
};

struct pctx {
	struct fake_ram ram;
	struct rec rec;
	struct bus pio, mmio;
	struct pci_host *host;
	struct dummy d;
	uint64_t bar;
	unsigned common, notify, isr, device, msix; /* BAR offsets / config offset of MSI-X cap */
	uint32_t mult;
};

static uint32_t cfg_rd(struct pctx *p, unsigned reg, unsigned size) { return pdrv_cfg_rd(&p->pio, SLOT, reg, size); }
static void cfg_wr(struct pctx *p, unsigned reg, uint32_t v, unsigned size) { pdrv_cfg_wr(&p->pio, SLOT, reg, v, size); }
static uint64_t bar_rd(struct pctx *p, uint64_t off, unsigned size) { return pdrv_mem_rd(&p->mmio, p->bar + off, size); }
static void bar_wr(struct pctx *p, uint64_t off, uint64_t v, unsigned size) { pdrv_mem_wr(&p->mmio, p->bar + off, v, size); }

/* the four virtio structures and MSI-X, found the way a driver finds them */
static void find_caps(struct pctx *p)
{
	ck_assert(cfg_rd(p, 0x06, 2) & 0x10);
	int seen = 0;
	for (unsigned c = cfg_rd(p, 0x34, 1); c; c = cfg_rd(p, c + 1, 1)) {
		unsigned id = cfg_rd(p, c, 1);
		if (id == 0x11) {
			p->msix = c;
			seen |= 32;
			continue;
		}
		ck_assert_uint_eq(id, 0x09);
		unsigned type = cfg_rd(p, c + 3, 1);
		ck_assert_uint_eq(cfg_rd(p, c + 4, 1), 0); /* BAR 0 */
		unsigned off = cfg_rd(p, c + 8, 4);
		if (type == 1) p->common = off;
		if (type == 2) {
			p->notify = off;
			p->mult = cfg_rd(p, c + 16, 4);
		}
		if (type == 3) p->isr = off;
		if (type == 4) p->device = off;
		seen |= 1 << type;
	}
	ck_assert_int_eq(seen, 2 | 4 | 8 | 16 | 32);
}

static void psetup(struct pctx *p, const struct vm_hooks *hooks, int iothread)
{
	memset(p, 0, sizeof(*p));
	fake_ram_init(&p->ram, 0, 1 << 20);
	bus_init(&p->pio, "pio");
	bus_init(&p->mmio, "mmio");
	ck_assert_int_eq(pci_host_create(&p->host, &p->pio, &p->mmio, hooks, &p->rec), 0);
	p->d.vd.ops = &d_ops;
	p->d.vd.name = "vpci-test";
	p->d.vd.device_id = 42;
	p->d.vd.pci_class = 0xff0000;
	p->d.vd.num_queues = 2;
	p->d.vd.queue_max = 128;
	p->d.vd.config_len = 4;
	memcpy(p->d.config, "wxyz", 4);
	struct virtio_env env = { .mem = &p->ram.mem, .hooks = hooks, .hooks_opaque = &p->rec,
				  .no_iothread = !iothread };
	ck_assert_int_eq(virtio_pci_create(&p->d.vd, p->host, &env), 0);
	ck_assert_uint_eq(cfg_rd(p, 0x00, 4), 0x1af4u | (0x1040u + 42) << 16);
	ck_assert_uint_eq(cfg_rd(p, 0x08, 1), 1);
	p->bar = (cfg_rd(p, 0x10, 4) & ~0xfULL) | (uint64_t)cfg_rd(p, 0x14, 4) << 32;
	ck_assert_uint_ne(p->bar, 0);
	find_caps(p);
}

static void pfree(struct pctx *p)
{
	pci_host_destroy(p->host); /* first: it still points at the device's pci_dev */
	virtio_dev_destroy(&p->d.vd);
	bus_destroy(&p->pio);
	bus_destroy(&p->mmio);
	fake_ram_free(&p->ram);
}

/* common cfg offsets */
enum { DFSEL = 0, DF = 4, GFSEL = 8, GF = 0xc, MSIXCFG = 0x10, NUMQ = 0x12, STATUS = 0x14, GEN = 0x15,
       QSEL = 0x16, QSIZE = 0x18, QVEC = 0x1a, QEN = 0x1c, QNOFF = 0x1e, QDESC = 0x20, QDRV = 0x28, QDEV = 0x30 };

static uint8_t negotiate(struct pctx *p, uint64_t f)
{
	bar_wr(p, p->common + STATUS, 0, 1);
	bar_wr(p, p->common + STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	bar_wr(p, p->common + GFSEL, 0, 4);
	bar_wr(p, p->common + GF, (uint32_t)f, 4);
	bar_wr(p, p->common + GFSEL, 1, 4);
	bar_wr(p, p->common + GF, f >> 32, 4);
	bar_wr(p, p->common + STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK, 1);
	return (uint8_t)bar_rd(p, p->common + STATUS, 1);
}

static void setup_queue(struct pctx *p, unsigned q, struct tring *r, uint16_t vec)
{
	bar_wr(p, p->common + QSEL, q, 2);
	ck_assert_uint_eq(bar_rd(p, p->common + QSIZE, 2), 128);
	bar_wr(p, p->common + QSIZE, r->size, 2);
	bar_wr(p, p->common + QDESC, r->desc, 8);
	bar_wr(p, p->common + QDRV, (uint32_t)r->avail, 4); /* 32-bit halves, as some drivers do */
	bar_wr(p, p->common + QDRV + 4, r->avail >> 32, 4);
	bar_wr(p, p->common + QDEV, r->used, 8);
	bar_wr(p, p->common + QVEC, vec, 2);
	bar_wr(p, p->common + QEN, 1, 2);
	ck_assert_uint_eq(bar_rd(p, p->common + QEN, 2), 1);
	ck_assert_uint_eq(bar_rd(p, p->common + QDEV, 8), r->used);
}

static void driver_ok(struct pctx *p)
{
	bar_wr(p, p->common + STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
					      VIRTIO_STATUS_DRIVER_OK, 1);
}

static void kick(struct pctx *p, unsigned q)
{
	bar_wr(p, p->common + QSEL, q, 2);
	uint64_t noff = bar_rd(p, p->common + QNOFF, 2);
	bar_wr(p, p->notify + noff * p->mult, q, 2);
}

static void make_work(struct tring *r)
{
	tdesc(r, 0, 0x80000, 64, VIRTQ_DESC_F_WRITE, 0);
	tset_used_event(r, tused_idx(r)); /* EVENT_IDX: interrupt me for the next one, as Linux asks */
	tavail(r, 0);
}

START_TEST(negotiation_and_intx)
{
	struct pctx p;
	psetup(&p, &plain_hooks, 0);
	ck_assert_uint_eq(bar_rd(&p, p.common + NUMQ, 2), 2);
	bar_wr(&p, p.common + DFSEL, 1, 4);
	ck_assert_uint_eq(bar_rd(&p, p.common + DF, 4), 1); /* VERSION_1 */
	ck_assert_uint_eq(bar_rd(&p, p.device + 1, 1), 'x');
	ck_assert(!(negotiate(&p, 1ULL << VIRTIO_F_RING_EVENT_IDX) & VIRTIO_STATUS_FEATURES_OK));
	ck_assert(!(negotiate(&p, VIRTIO_CORE_FEATURES | (1ULL << 40)) & VIRTIO_STATUS_FEATURES_OK));
	ck_assert(negotiate(&p, VIRTIO_CORE_FEATURES) & VIRTIO_STATUS_FEATURES_OK);
	struct tring r;
	tring_init(&r, &p.ram, 0x10000, 16);
	bar_wr(&p, p.common + QSEL, 5, 2);
	ck_assert_uint_eq(bar_rd(&p, p.common + QSIZE, 2), 0); /* no such queue */
	setup_queue(&p, 0, &r, 0);
	driver_ok(&p);
	ck_assert(bar_rd(&p, p.common + STATUS, 1) & VIRTIO_STATUS_DRIVER_OK);
	/* notify without ioeventfd: handled right away; MSI-X is off, so INTx + ISR */
	make_work(&r);
	kick(&p, 0);
	ck_assert_int_eq(p.d.handled, 2); /* one look at DRIVER_OK, one for the kick */
	ck_assert_uint_eq(tused_idx(&r), 1);
	ck_assert_int_eq(p.rec.irq.level[GSI], 1);
	ck_assert_uint_eq(bar_rd(&p, p.isr, 1), 1);
	ck_assert_int_eq(p.rec.irq.level[GSI], 0);
	ck_assert_uint_eq(bar_rd(&p, p.isr, 1), 0); /* read-to-clear */
	/* config change: ISR bit 1 */
	virtio_config_changed(&p.d.vd);
	ck_assert_uint_eq(bar_rd(&p, p.common + GEN, 1), 1);
	ck_assert_uint_eq(bar_rd(&p, p.isr, 1), 2);
	/* INTx disable in the command register holds the line low */
	cfg_wr(&p, 0x04, cfg_rd(&p, 0x04, 2) | 0x400, 2);
	make_work(&r);
	kick(&p, 0);
	ck_assert_int_eq(p.rec.irq.level[GSI], 0);
	ck_assert_uint_eq(bar_rd(&p, p.isr, 1), 1);
	/* reset */
	bar_wr(&p, p.common + STATUS, 0, 1);
	ck_assert_uint_eq(bar_rd(&p, p.common + STATUS, 1), 0);
	bar_wr(&p, p.common + QSEL, 0, 2);
	ck_assert_uint_eq(bar_rd(&p, p.common + QEN, 2), 0);
	ck_assert_uint_eq(bar_rd(&p, p.common + QVEC, 2), VIRTIO_NO_VECTOR);
	ck_assert_uint_eq(bar_rd(&p, p.common + MSIXCFG, 2), VIRTIO_NO_VECTOR);
	pfree(&p);
}
END_TEST

static void msix_entry(struct pctx *p, unsigned v, uint64_t addr, uint32_t data, uint32_t ctrl)
{
	uint32_t tbl = cfg_rd(p, p->msix + 4, 4);
	ck_assert_uint_eq(tbl & 7, 0); /* BIR 0 */
	uint64_t e = (tbl & ~7u) + 16ULL * v;
	bar_wr(p, e + 0, (uint32_t)addr, 4);
	bar_wr(p, e + 4, addr >> 32, 4);
	bar_wr(p, e + 8, data, 4);
	bar_wr(p, e + 12, ctrl, 4);
}

/* waits for the I/O thread to have made route n and signalled through it; returns the count */
static eventfd_t wait_irqfd(struct pctx *p, int n)
{
	int i;
	for (i = 0; i < 2000 && __atomic_load_n(&p->rec.nroutes, __ATOMIC_ACQUIRE) < n; i++)
		usleep(1000);
	ck_assert_int_ge(__atomic_load_n(&p->rec.nroutes, __ATOMIC_ACQUIRE), n);
	eventfd_t v = 0;
	for (; i < 2000 && eventfd_read(p->rec.route_efd, &v) < 0; i++)
		usleep(1000);
	return v;
}

static uint64_t pba(struct pctx *p)
{
	return bar_rd(p, cfg_rd(p, p->msix + 8, 4) & ~7u, 8);
}

START_TEST(msix_masking_and_pending)
{
	struct pctx p;
	psetup(&p, &plain_hooks, 0);
	ck_assert_uint_eq(cfg_rd(&p, p.msix + 2, 2) & 0x7ff, 2); /* 3 vectors */
	ck_assert(negotiate(&p, VIRTIO_CORE_FEATURES) & VIRTIO_STATUS_FEATURES_OK);
	cfg_wr(&p, p.msix + 2, 0x8000, 2); /* enable */
	bar_wr(&p, p.common + MSIXCFG, 0, 2);
	ck_assert_uint_eq(bar_rd(&p, p.common + MSIXCFG, 2), 0);
	bar_wr(&p, p.common + MSIXCFG, 9, 2); /* no such vector */
	ck_assert_uint_eq(bar_rd(&p, p.common + MSIXCFG, 2), VIRTIO_NO_VECTOR);
	bar_wr(&p, p.common + MSIXCFG, 0, 2);
	struct tring r;
	tring_init(&r, &p.ram, 0x10000, 16);
	setup_queue(&p, 1, &r, 2);
	driver_ok(&p);
	/* vector 2 still masked (reset state): pending, no message */
	make_work(&r);
	kick(&p, 1);
	ck_assert_int_eq(p.d.handled, 2); /* one look at DRIVER_OK, one for the kick */
	ck_assert_int_eq(p.rec.irq.nmsi, 0);
	ck_assert_uint_eq(pba(&p), 4);
	/* unmasking delivers it */
	msix_entry(&p, 2, 0xfee00000, 0x4041, 0);
	ck_assert_int_eq(p.rec.irq.nmsi, 1);
	ck_assert_uint_eq(p.rec.irq.msi_addr[0], 0xfee00000);
	ck_assert_uint_eq(p.rec.irq.msi_data[0], 0x4041);
	ck_assert_uint_eq(pba(&p), 0);
	make_work(&r);
	kick(&p, 1);
	ck_assert_int_eq(p.rec.irq.nmsi, 2);
	/* function mask */
	cfg_wr(&p, p.msix + 2, 0xc000, 2);
	make_work(&r);
	kick(&p, 1);
	ck_assert_int_eq(p.rec.irq.nmsi, 2);
	ck_assert_uint_eq(pba(&p), 4);
	cfg_wr(&p, p.msix + 2, 0x8000, 2);
	ck_assert_int_eq(p.rec.irq.nmsi, 3);
	/* config vector 0 */
	msix_entry(&p, 0, 0xfee01000, 0x55, 0);
	virtio_config_changed(&p.d.vd);
	ck_assert_int_eq(p.rec.irq.nmsi, 4);
	ck_assert_uint_eq(p.rec.irq.msi_data[3], 0x55);
	ck_assert_int_eq(p.rec.irq.level[GSI], 0); /* never INTx while MSI-X is on */
	/* a broken ring raises NEEDS_RESET through the config vector */
	tdesc(&r, 0, 0x80000, 64, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	tavail(&r, 0);
	kick(&p, 1);
	ck_assert(bar_rd(&p, p.common + STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_int_eq(p.rec.irq.nmsi, 5);
	pfree(&p);
}
END_TEST

START_TEST(irqfd_routes_and_ioeventfd)
{
	struct pctx p;
	psetup(&p, &kvm_like_hooks, 1); /* ioeventfds need an I/O thread to wake */
	ck_assert_int_eq(p.rec.ioev_live, 2);
	ck_assert_uint_eq(p.rec.ioev_addr[0], p.bar + p.notify);
	ck_assert_uint_eq(p.rec.ioev_addr[1], p.bar + p.notify + p.mult);
	/* table and enable writes, however many, never touch the routing: only a signal does */
	cfg_wr(&p, p.msix + 2, 0x8000, 2);
	for (uint32_t k = 0; k < 200; k++) {
		msix_entry(&p, 1, 0xfee00000, 0x100 + k, 0);
		msix_entry(&p, 1, 0xfee00000, 0x100 + k, 1); /* mask */
		cfg_wr(&p, p.msix + 2, k & 1 ? 0x8000 : 0xc000, 2);
	}
	cfg_wr(&p, p.msix + 2, 0x8000, 2);
	msix_entry(&p, 1, 0xfee00000, 0x32, 0);
	ck_assert_int_eq(p.rec.nroutes, 0);
	ck_assert_int_eq(p.rec.nunroutes, 0);
	/* signalling a routed vector writes its irqfd, not signal_msi */
	ck_assert(negotiate(&p, VIRTIO_CORE_FEATURES) & VIRTIO_STATUS_FEATURES_OK);
	struct tring r;
	tring_init(&r, &p.ram, 0x10000, 16);
	setup_queue(&p, 0, &r, 1);
	driver_ok(&p);
	make_work(&r);
	kick(&p, 0); /* reaches the BAR (no KVM here), handed to the I/O thread */
	ck_assert_uint_eq(wait_irqfd(&p, 1), 1);
	ck_assert_uint_eq(tused_idx(&r), 1);
	ck_assert_int_eq(p.rec.irq.nmsi, 0);
	ck_assert_int_eq(p.rec.nroutes, 1); /* routed by that first signal, for the current message */
	ck_assert_uint_eq(p.rec.route_data, 0x32);
	/* a new message is routed at the next signal, once */
	msix_entry(&p, 1, 0xfee00000, 0x31, 1);
	msix_entry(&p, 1, 0xfee00000, 0x33, 0);
	ck_assert_int_eq(p.rec.nroutes, 1);
	make_work(&r);
	kick(&p, 0);
	ck_assert_uint_eq(wait_irqfd(&p, 2), 1);
	ck_assert_int_eq(p.rec.nroutes, 2);
	ck_assert_int_eq(p.rec.nunroutes, 1);
	ck_assert_int_eq(p.rec.live_routes, 1);
	ck_assert_uint_eq(p.rec.route_data, 0x33);
	/* the guest moves the BAR: ioeventfds follow */
	cfg_wr(&p, 0x04, cfg_rd(&p, 0x04, 2) & ~2u, 2); /* memory decoding off */
	ck_assert_int_eq(p.rec.ioev_live, 0);
	uint64_t nb = p.bar + 0x100000;
	cfg_wr(&p, 0x10, (uint32_t)nb | 4, 4);
	cfg_wr(&p, 0x14, (uint32_t)(nb >> 32), 4);
	cfg_wr(&p, 0x04, cfg_rd(&p, 0x04, 2) | 2u, 2);
	ck_assert_int_eq(p.rec.ioev_live, 2);
	ck_assert_uint_eq(p.rec.ioev_addr[0], nb + p.notify);
	p.bar = nb;
	ck_assert_uint_eq(bar_rd(&p, p.common + NUMQ, 2), 2);
	/* MSI-X off keeps the route (nothing writes its irqfd then); removing the device drops it */
	cfg_wr(&p, p.msix + 2, 0, 2);
	ck_assert_int_eq(p.rec.live_routes, 1);
	pfree(&p);
	ck_assert_int_eq(p.rec.live_routes, 0);
	ck_assert_int_eq(p.rec.ioev_live, 0);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio-pci");
	TCase *t = tcase_create("pci");
	tcase_add_test(t, negotiation_and_intx);
	tcase_add_test(t, msix_masking_and_pending);
	tcase_add_test(t, irqfd_routes_and_ioeventfd);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
