/*
 * Time on the x86 virt platform: the TSC counts, the PIT tells its rate,
 * the CMOS RTC gives the wall clock at boot.
 *
 * The TSC rate is measured on first use, not at boot, so a program that
 * never asks for the time never waits for the measurement. It takes about
 * 2 ms against PIT channel 0; peers that busy-wait a fixed 100 ms lose
 * that on every boot under TCG.
 */
#include "arch.h"
#include "lib.h"
#include "plat.h"
#include "../../../arch/x86_64/x86.h"

#define PIT_HZ          1193182
#define PIT_CH0         0x40
#define PIT_CMD         0x43
#define CALIBRATE_TICKS (PIT_HZ / 500) /* 2 ms */
#define FALLBACK_HZ     1000000000UL

static uint64_t tsc_hz;
static uint64_t wallclock_boot_ns;
static bool wallclock_read;

static uint16_t pit_read(void)
{
    outb(PIT_CMD, 0x00); /* latch channel 0 */
    uint8_t lo = inb(PIT_CH0);
    uint8_t hi = inb(PIT_CH0);
    return (uint16_t)(hi << 8 | lo);
}

/* Counts TSC cycles while PIT channel 0 counts down CALIBRATE_TICKS. */
static uint64_t measure_tsc_hz(void)
{
    outb(PIT_CMD, 0x34); /* channel 0, lo/hi byte, mode 2, binary */
    outb(PIT_CH0, 0xff);
    outb(PIT_CH0, 0xff);
    uint16_t start = pit_read();
    uint64_t t0 = arch_cycles();
    uint32_t elapsed = 0;
    for (unsigned spins = 0; elapsed < CALIBRATE_TICKS; spins++) {
        uint16_t now = pit_read();
        elapsed = (uint16_t)(start - now);
        if (spins > 10000000 || (spins > 100000 && elapsed == 0))
            return 0; /* no PIT here */
    }
    return muldiv64(arch_cycles() - t0, PIT_HZ, elapsed);
}

uint64_t plat_cycles_hz(void)
{
    if (!tsc_hz) {
        tsc_hz = measure_tsc_hz();
        if (!tsc_hz) {
            kprintf("unikit: warning: no PIT to measure the TSC; assuming 1 GHz\n");
            tsc_hz = FALLBACK_HZ;
        }
    }
    return tsc_hz;
}

uint64_t plat_monotonic_ns(void)
{
    return muldiv64(arch_cycles() - arch_boot_cycles, 1000000000u, plat_cycles_hz());
}

/* ---- CMOS real-time clock ---- */
#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static unsigned from_bcd(uint8_t v, bool bcd)
{
    return bcd ? (v & 0x0f) + (v >> 4) * 10 : v;
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static uint64_t read_rtc_ns(void)
{
    for (int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)
        ; /* wait out an update in progress */
    uint8_t status_b = cmos_read(0x0b);
    bool bcd = !(status_b & 0x04);
    unsigned sec = from_bcd(cmos_read(0x00), bcd);
    unsigned min = from_bcd(cmos_read(0x02), bcd);
    uint8_t hour_raw = cmos_read(0x04);
    unsigned hour = from_bcd(hour_raw & 0x7f, bcd);
    unsigned day = from_bcd(cmos_read(0x07), bcd);
    unsigned mon = from_bcd(cmos_read(0x08), bcd);
    unsigned year = from_bcd(cmos_read(0x09), bcd) + 2000;
    if (!(status_b & 0x02) && (hour_raw & 0x80))
        hour = (hour % 12) + 12; /* 12-hour clock, PM */
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return 0;
    int64_t days = days_from_civil(year, mon, day);
    return ((uint64_t)days * 86400 + hour * 3600 + min * 60 + sec) * 1000000000ULL;
}

uint64_t plat_wallclock_at_boot_ns(void)
{
    /* The RTC counts whole seconds; the milliseconds since boot are below that. */
    if (!wallclock_read) {
        wallclock_boot_ns = read_rtc_ns();
        wallclock_read = true;
    }
    return wallclock_boot_ns;
}
