/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the AHCI controller (ahci.c: PCI function, thread, interrupts; ahci_regs.c: the
 * register file; ahci_cmd.c: the command engine; ahci_state.c). Register offsets and bits follow
 * AHCI 1.3.1 section 3; FIS layouts SATA 3.x section 10.5. */
#ifndef KVMINI_AHCI_INT_H
#define KVMINI_AHCI_INT_H
#include <pthread.h>
#include <stdbool.h>

#include "devices/ata/ahci.h"
#include "devices/disk/aio.h"
#include "devices/iothread.h"
#include "devices/msi.h"

/* HBA registers */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_IS 0x08
#define HBA_PI 0x0c
#define HBA_VS 0x10
#define HBA_CAP2 0x24
#define HBA_PORT0 0x100
#define HBA_PORT_LEN 0x80

#define CAP_S64A (1u << 31)
#define CAP_SNCQ (1u << 30)
#define CAP_SAM (1u << 18)
#define CAP_ISS_GEN1 (1u << 20)
#define GHC_HR 0x1u
#define GHC_IE 0x2u
#define GHC_AE (1u << 31)

/* port registers (offset in the port's block) */
enum {
	P_CLB = 0x00, P_CLBU = 0x04, P_FB = 0x08, P_FBU = 0x0c, P_IS = 0x10, P_IE = 0x14, P_CMD = 0x18,
	P_TFD = 0x20, P_SIG = 0x24, P_SSTS = 0x28, P_SCTL = 0x2c, P_SERR = 0x30, P_SACT = 0x34, P_CI = 0x38,
};

#define CMD_ST 0x1u
#define CMD_SUD 0x2u
#define CMD_POD 0x4u
#define CMD_CLO 0x8u
#define CMD_FRE 0x10u
#define CMD_FR (1u << 14)
#define CMD_CR (1u << 15)
#define CMD_RW_BITS (0x0f000000u) /* ATAPI, DLAE, ALPE, ASP: kept as written */

#define PIS_DHRS 0x1u
#define PIS_PSS 0x2u
#define PIS_SDBS 0x8u
#define PIS_DPS 0x20u
#define PIS_TFES (1u << 30)
#define PIS_MASK 0xfdc000ffu /* the bits PxIS/PxIE have */

#define SSTS_UP 0x113u /* DET 3 (device, PHY up), SPD 1 (Gen1), IPM 1 (active) */
#define SIG_ATA 0x00000101u
#define SIG_ATAPI 0xeb140101u

/* received-FIS area offsets */
#define RFIS_PIO 0x20
#define RFIS_D2H 0x40
#define RFIS_SDB 0x58
#define RFIS_SIZE 0x100

#define FIS_H2D 0x27
#define FIS_D2H 0x34
#define FIS_SDB 0xa1
#define FIS_PIO 0x5f

#define AHCI_MAX_PRDTL 0xffffu

struct ahci;
struct ahci_port;

struct ahci_slot {
	struct ata_cmd c;
	struct ahci_port *p;
	unsigned n;
	uint32_t gen;            /* the port's generation when taken: older results are dropped */
	uint64_t clb;            /* where its header is (taken with it) */
	struct iovec *iov;       /* the mapped PRDT */
	unsigned iov_cap;
	bool ncq, ctl, prd_irq;  /* queued; a control FIS (no command); an I bit in the PRDT */
};

struct ahci_port {
	struct ahci *h;
	unsigned n;
	struct ata_dev *dev; /* NULL: nothing attached */
	/* registers (h->lock) */
	uint64_t clb, fb;
	uint32_t is, ie, cmd, tfd, sig, ssts, sctl, serr, sact, ci;
	/* engine (h->lock) */
	uint32_t started;  /* CI bits taken by the engine (running, waiting, or failed) */
	uint32_t busy;     /* slots the I/O thread holds: they end in slot_finish */
	uint32_t ncq_tags; /* tags in flight */
	uint32_t gen;      /* bumped when the port stops or resets */
	bool halted;       /* a command failed: nothing more until ST goes 0 */
	bool srst;         /* a control FIS set SRST: its release resets the device */
	/* I/O thread only */
	uint32_t waiting;  /* taken and decoded, waiting for the port to allow it */
	uint32_t running;  /* with the ATA core */
	bool in_dispatch;
	struct ahci_slot slot[AHCI_SLOTS];
};

struct ahci {
	pthread_mutex_t lock;
	struct pci_dev pci;
	struct msi msi;
	const struct gmem *mem;
	char name[32];
	uint32_t ghc, is, idp_index;
	bool intx_level, intx_disabled;
	bool logged; /* one line per controller for hostile input */
	struct ahci_port port[AHCI_PORTS];
	struct iothread *io;
	int bell;
	struct disk_aio *q;
	unsigned inflight, peak; /* I/O thread */
};

/* ahci.c */
/* Re-evaluates HBA IS and the interrupt; notify: something new happened (an MSI goes out when the
 * interrupt is pending). h->lock held. */
void ahci_irq_update(struct ahci *h, bool notify);
void ahci_log_once(struct ahci *h, const char *what, unsigned port, unsigned slot);
/* ahci_regs.c */
void ahci_hba_reset_locked(struct ahci *h);
void ahci_port_reset_locked(struct ahci_port *p); /* registers to power-on values */
void ahci_port_stop_locked(struct ahci_port *p);  /* drops what is issued and in flight */
void ahci_link_up_locked(struct ahci_port *p);    /* after COMRESET: device reset, signature */
uint32_t ahci_reg_read(struct ahci *h, uint64_t off);
void ahci_reg_write(struct ahci *h, uint64_t off, uint32_t val, uint32_t mask);
extern const struct bus_ops ahci_abar_ops, ahci_idp_ops;
/* ahci_cmd.c: the doorbell's work on the I/O thread */
void ahci_run(struct ahci *h);
void ahci_fis_d2h_locked(struct ahci_port *p, const struct ata_tf *tf, bool irq);

#endif
