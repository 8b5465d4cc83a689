; Ferry's test guest: a Multiboot (v1) kernel that dirties memory at a controlled rate, so
; live-migration tests see a known dirty-page rate without booting an OS.
;
;   -kernel dirty-guest.bin -append "ws=256 rate=5000 pace=0"
;     ws   = working set in MiB, starting at 16 MiB physical (clamped to the RAM there is)
;     rate = pages dirtied per second; 0 = idle (the vCPU halts for good)
;     pace = 0: clock-paced (default): writes fall due by the clock, and a vCPU that was held
;            back (auto-converge's throttle) catches up when it runs again;
;            1: vCPU-bound: a fixed amount of vCPU work before each write, calibrated at boot
;            against the HPET so the unthrottled rate is `rate`; a throttled vCPU writes slower.
;
; The sweep's position (pages into the working set) and the pages written so far are kept at
; STATUS_ADDR (two dwords), so the host can read where the sweep stands (e.g. with `xp`).
;
; Each write stores one dword in the next page of the working set (a sweep that wraps), so
; every write dirties a distinct 4 KiB page until the sweep wraps. Progress goes to
; isa-debugcon (port 0xe9) once per second: "progress t_ms=<guest ms> pages=<pages written>".
;
; Pacing: the PIT (IRQ0 through the 8259, 1 kHz) only wakes the vCPU from hlt; elapsed time
; is read from the HPET main counter, whose period (femtoseconds) the HPET reports itself, so
; no calibration is needed and a late or coalesced PIT tick costs no accuracy: the next wake-up
; catches up. Both run on QEMU's virtual clock, which follows host time under TCG and KVM and
; stands still while the VM is stopped. Between wake-ups the vCPU halts, so the guest costs
; little host CPU.
;
; Built as a flat binary (nasm -f bin): the header's address fields (the "a.out kludge",
; flag bit 16) tell QEMU's Multiboot loader where to load it, so no linker is needed.

bits 32
org 0x100000

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00010003          ; page-align modules, memory info, address fields
MB_BOOT_MAGIC   equ 0x2BADB002          ; EAX at entry from a Multiboot loader

DEBUGCON        equ 0xe9
HPET_BASE       equ 0xfed00000          ; QEMU's fixed HPET address on pc/q35
HPET_PERIOD     equ HPET_BASE + 0x04    ; high half of the capabilities register
HPET_CONFIG     equ HPET_BASE + 0x10
HPET_COUNTER    equ HPET_BASE + 0xf0    ; low 32 bits of the main counter
PIT_HZ          equ 1193182
WAKE_HZ         equ 1000
WS_BASE         equ 0x01000000          ; 16 MiB: well above the kernel and Multiboot info
DEFAULT_WS_MIB  equ 16
STATUS_ADDR     equ WS_BASE - 0x1000     ; cursor, written: below the working set
CALIBRATE_MS    equ 1000                ; vCPU-bound pacing: how long the boot-time calibration spins
UNIT_SPINS      equ 1000                ; calibration unit: this many turns of the spin loop

header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)
    dd header                           ; header_addr
    dd header                           ; load_addr: the image starts with this header
    dd image_end                        ; load_end_addr
    dd bss_end                          ; bss_end_addr (QEMU zeroes up to here)
    dd entry                            ; entry_addr

entry:
    cli
    mov esp, stack_top
    mov [mb_magic], eax
    mov [mb_info], ebx
    ; The Multiboot spec leaves GDTR undefined; interrupts reload CS, so install our own.
    lgdt [gdt_descriptor]
    jmp 0x08:.flat
.flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax

    cmp dword [mb_magic], MB_BOOT_MAGIC
    je .booted
    mov esi, msg_not_multiboot
    jmp panic
.booted:
    call read_parameters
    call setup_idt
    call start_hpet

    mov esi, msg_banner_ws
    call print
    mov eax, [ws_mib]
    call print_dec
    mov esi, msg_banner_rate
    call print
    mov eax, [rate]
    call print_dec
    mov esi, msg_banner_pace
    call print
    mov eax, [pace]
    call print_dec
    mov esi, msg_banner_hpet
    call print
    mov eax, [hpet_period_fs]
    call print_dec
    mov esi, msg_newline
    call print

    cmp dword [rate], 0
    je .halt_idle
    cmp dword [pace], 1
    je cpu_loop
    jmp dirty_loop
.halt_idle:
    mov esi, msg_idle
    call print
.idle:
    hlt                                 ; interrupts are off: stays halted, costs no CPU
    jmp .idle

; ---------------------------------------------------------------------------------------
; Main loop: wake on the PIT, measure time on the HPET, write the pages that are due.
dirty_loop:
    call setup_pic_and_pit
    mov dword [next_report_ms], 1000
.wait:
    ; Interrupts are taken only here, in hlt, on a stack nothing else writes, so every
    ; interrupt frame is the same. Seen with QEMU 7.2 under TCG: the frame pushed when a
    ; halted vCPU wakes can miss the dirty bitmap, and the migration destination got the
    ; stale stack word (a return address: IF=0) and halted for good. With this stack a stale
    ; frame is identical to the real one. (sti delays interrupts by one instruction: none
    ; can slip in between sti and hlt.)
    mov esp, irq_stack_top
    sti
    hlt
    cli
    mov esp, stack_top
    call update_clock

    ; due = now_ms * rate / 1000 (64-bit product; the quotient fits for days of running)
    mov eax, [now_ms]
    mul dword [rate]
    mov ecx, 1000
    div ecx
    mov ebx, eax                        ; ebx = pages due so far

    mov edi, [cursor]
    mov edx, [written]
.write:
    cmp edx, ebx
    jae .written
    inc edx
    mov eax, edi
    shl eax, 12
    ; A non-zero value, so QEMU cannot send the page as a zero page.
    mov [WS_BASE + eax], edx
    inc edi
    cmp edi, [ws_pages]
    jb .write
    xor edi, edi
    jmp .write
.written:
    mov [cursor], edi
    mov [written], edx
    mov [STATUS_ADDR], edi
    mov [STATUS_ADDR + 4], edx

    mov eax, [now_ms]
    cmp eax, [next_report_ms]
    jb .wait
.advance_report:
    add dword [next_report_ms], 1000
    cmp eax, [next_report_ms]
    jae .advance_report
    mov esi, msg_progress_t
    call print
    mov eax, [now_ms]
    call print_dec
    mov esi, msg_progress_pages
    call print
    mov eax, [written]
    call print_dec
    mov esi, msg_newline
    call print
    jmp .wait

; ---------------------------------------------------------------------------------------
; vCPU-bound pacing: spin a fixed number of turns per write, no interrupts, no hlt. The
; number is calibrated once at boot, so a vCPU that runs less (auto-converge's throttle, a
; busy host) writes proportionally fewer pages; nothing catches up.
cpu_loop:
    call calibrate
    mov dword [next_report_ms], 1000
    mov edi, [cursor]
    mov edx, [written]
.page:
    mov ecx, [spins_per_page]
    test ecx, ecx
    jz .write
.spin:
    dec ecx
    jnz .spin
.write:
    inc edx
    mov eax, edi
    shl eax, 12
    mov [WS_BASE + eax], edx
    inc edi
    cmp edi, [ws_pages]
    jb .check
    xor edi, edi
.check:
    mov [STATUS_ADDR], edi              ; the next page to write, as in the clock-paced loop
    mov [STATUS_ADDR + 4], edx
    test edx, 63                        ; look at the clock every 64 pages
    jnz .page
    mov [cursor], edi
    mov [written], edx
    call update_clock                   ; clobbers eax, ecx, edx
    mov edx, [written]
    mov eax, [now_ms]
    cmp eax, [next_report_ms]
    jb .page
.advance_report:
    add dword [next_report_ms], 1000
    cmp eax, [next_report_ms]
    jae .advance_report
    mov esi, msg_progress_t
    call print
    mov eax, [now_ms]
    call print_dec
    mov esi, msg_progress_pages
    call print
    mov eax, edx
    call print_dec
    mov esi, msg_newline
    call print
    jmp .page

; Spins UNIT_SPINS-turn units for CALIBRATE_MS of HPET time (reading the clock every 16 units,
; so the MMIO reads cost little), then sets spins_per_page = turns per second / rate.
calibrate:
    call update_clock
    mov eax, [now_ms]
    add eax, CALIBRATE_MS
    mov [calibrate_end_ms], eax
    xor ebx, ebx                        ; units spun
.unit:
    mov ecx, UNIT_SPINS
.spin:
    dec ecx
    jnz .spin
    inc ebx
    test ebx, 15
    jnz .unit
    call update_clock
    mov eax, [now_ms]
    cmp eax, [calibrate_end_ms]
    jb .unit
    ; turns per second = units × UNIT_SPINS × 1000 / CALIBRATE_MS; per page: / rate
    mov eax, ebx
    mov ecx, UNIT_SPINS * (1000 / CALIBRATE_MS)
    mul ecx
    div dword [rate]
    mov [spins_per_page], eax
    mov esi, msg_calibrated
    call print
    call print_dec
    mov esi, msg_newline
    call print
    ret

; Adds the HPET ticks since the last call to now_ms. Reads only the low 32 bits of the
; counter (one MMIO read, no torn 64-bit read); at 100 MHz it wraps every 42 s, far longer
; than the 1 ms between wake-ups, and the subtraction below is modulo 2^32 anyway.
update_clock:
    mov eax, [HPET_COUNTER]
    mov ecx, eax
    sub eax, [hpet_last]
    mov [hpet_last], ecx
    xor edx, edx
    add eax, [tick_remainder]
    adc edx, 0
    div dword [hpet_ticks_per_ms]
    add [now_ms], eax
    mov [tick_remainder], edx
    ret

; ---------------------------------------------------------------------------------------
; Boot-time set-up.

; ws= and rate= from the Multiboot command line (QEMU passes "<kernel path> <-append>").
read_parameters:
    mov dword [ws_mib], DEFAULT_WS_MIB
    mov dword [rate], 0
    mov dword [pace], 0
    mov ebx, [mb_info]
    test dword [ebx], 1 << 2            ; cmdline present?
    jz .clamp
    mov esi, [ebx + 16]
    mov edi, key_ws
    call find_parameter
    jc .no_ws
    mov [ws_mib], eax
.no_ws:
    mov esi, [ebx + 16]
    mov edi, key_rate
    call find_parameter
    jc .no_rate
    mov [rate], eax
.no_rate:
    mov esi, [ebx + 16]
    mov edi, key_pace
    call find_parameter
    jc .clamp
    mov [pace], eax
.clamp:
    ; mem_upper = KiB of RAM from 1 MiB up to the first hole; keep the set inside it.
    test dword [ebx], 1 << 0
    jz .sized
    mov eax, [ebx + 8]
    shr eax, 10                         ; MiB above 1 MiB
    add eax, 1
    sub eax, WS_BASE >> 20
    jbe .no_room
    cmp [ws_mib], eax
    jbe .sized
    mov [ws_mib], eax
    mov esi, msg_clamped
    call print
    jmp .sized
.no_room:
    mov esi, msg_no_room
    jmp panic
.sized:
    cmp dword [ws_mib], 0
    jne .nonzero
    mov dword [ws_mib], 1
.nonzero:
    mov eax, [ws_mib]
    shl eax, 8                          ; 256 pages per MiB
    mov [ws_pages], eax
    ret

; in: esi = NUL-terminated command line, edi = key such as "ws=" (NUL-terminated)
; out: CF clear and eax = the decimal value when the key starts a word; CF set otherwise
find_parameter:
    push ebx
    push ecx
    push edx
    push esi
    mov edx, 1                          ; edx = 1 while esi is at the start of a word
.scan:
    cmp byte [esi], 0
    je .missing
    test edx, edx
    jz .advance
    mov ebx, esi
    mov ecx, edi
.compare:
    mov al, [ecx]
    test al, al
    jz .digits
    cmp al, [ebx]
    jne .advance
    inc ebx
    inc ecx
    jmp .compare
.advance:
    xor edx, edx
    cmp byte [esi], ' '
    jne .next
    mov edx, 1
.next:
    inc esi
    jmp .scan
.digits:
    xor eax, eax
.digit:
    movzx ecx, byte [ebx]
    sub ecx, '0'
    cmp ecx, 9
    ja .found                           ; unsigned: also stops below '0'
    imul eax, eax, 10
    add eax, ecx
    inc ebx
    jmp .digit
.found:
    pop esi
    pop edx
    pop ecx
    pop ebx
    clc
    ret
.missing:
    pop esi
    pop edx
    pop ecx
    pop ebx
    stc
    ret

start_hpet:
    mov eax, [HPET_PERIOD]
    test eax, eax
    jz .absent
    cmp eax, 0x05f5e100                 ; the spec caps the period at 100 ns
    ja .absent
    mov [hpet_period_fs], eax
    ; ticks per ms = 10^12 fs / period
    mov ecx, eax
    mov edx, 0xe8
    mov eax, 0xd4a51000
    div ecx
    mov [hpet_ticks_per_ms], eax
    or dword [HPET_CONFIG], 1           ; ENABLE_CNF: the main counter starts
    mov eax, [HPET_COUNTER]
    mov [hpet_last], eax
    ret
.absent:
    mov esi, msg_no_hpet
    jmp panic

setup_pic_and_pit:
    ; 8259s: IRQ0-7 -> vectors 0x20-0x27, IRQ8-15 -> 0x28-0x2f, only IRQ0 unmasked.
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xa1, al
    mov al, 0x01
    out 0x21, al
    out 0xa1, al
    mov al, 0xfe
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    ; PIT channel 0, lobyte/hibyte, mode 2 (rate generator) at WAKE_HZ.
    mov al, 0x34
    out 0x43, al
    mov ax, PIT_HZ / WAKE_HZ
    out 0x40, al
    mov al, ah
    out 0x40, al
    ret

setup_idt:
    xor ecx, ecx
.entry:
    mov eax, iret_only
    cmp ecx, 32
    jae .irq
    ; exception stubs are 16 bytes apart
    mov eax, ecx
    shl eax, 4
    add eax, exception_stubs
    jmp .set
.irq:
    cmp ecx, 0x28
    jae .slave
    mov eax, irq_master
    jmp .set
.slave:
    cmp ecx, 0x30
    jae .set_default
    mov eax, irq_slave
    jmp .set
.set_default:
    mov eax, iret_only
.set:
    lea edi, [idt + ecx * 8]
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8e00          ; present, ring 0, 32-bit interrupt gate
    shr eax, 16
    mov [edi + 6], ax
    inc ecx
    cmp ecx, 256
    jb .entry
    lidt [idt_descriptor]
    ret

; ---------------------------------------------------------------------------------------
; Interrupt handlers.

irq_master:
    push eax
    mov al, 0x20
    out 0x20, al
    pop eax
    iret

irq_slave:
    push eax
    mov al, 0x20
    out 0xa0, al
    out 0x20, al
    pop eax
    iret

iret_only:
    iret

align 16
exception_stubs:
%assign vector 0
%rep 32
    align 16
    push dword vector
    jmp exception_common
%assign vector vector + 1
%endrep

exception_common:
    mov esi, msg_exception
    call print
    pop eax
    call print_dec
    mov esi, msg_newline
    call print
    jmp halt_forever

panic:
    call print
halt_forever:
    cli
.halt:
    hlt
    jmp .halt

; ---------------------------------------------------------------------------------------
; Output on isa-debugcon.

; in: esi = NUL-terminated string
print:
    push eax
    push edx
    push esi
    mov dx, DEBUGCON
.char:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .char
.done:
    pop esi
    pop edx
    pop eax
    ret

; in: eax = unsigned value, printed in decimal
print_dec:
    push eax
    push ecx
    push edx
    push esi
    mov esi, decimal_end
    mov byte [esi], 0
    mov ecx, 10
.digit:
    xor edx, edx
    div ecx
    add dl, '0'
    dec esi
    mov [esi], dl
    test eax, eax
    jnz .digit
    call print
    pop esi
    pop edx
    pop ecx
    pop eax
    ret

; ---------------------------------------------------------------------------------------
; Read-only data.

align 8
gdt:
    dq 0
    dq 0x00cf9a000000ffff                ; 0x08: flat 32-bit code
    dq 0x00cf92000000ffff                ; 0x10: flat 32-bit data
gdt_end:
gdt_descriptor:
    dw gdt_end - gdt - 1
    dd gdt
idt_descriptor:
    dw 256 * 8 - 1
    dd idt

key_ws:             db "ws=", 0
key_rate:           db "rate=", 0
key_pace:           db "pace=", 0
msg_banner_ws:      db "ferry-guest ws_mib=", 0
msg_banner_rate:    db " rate=", 0
msg_banner_pace:    db " pace=", 0
msg_banner_hpet:    db " hpet_period_fs=", 0
msg_calibrated:     db "calibrated spins_per_page=", 0
msg_idle:           db "idle", 10, 0
msg_progress_t:     db "progress t_ms=", 0
msg_progress_pages: db " pages=", 0
msg_newline:        db 10, 0
msg_clamped:        db "ferry-guest: ws clamped to the RAM above 16 MiB", 10, 0
msg_no_room:        db "ferry-guest: no RAM above 16 MiB", 10, 0
msg_no_hpet:        db "ferry-guest: no usable HPET at 0xfed00000", 10, 0
msg_not_multiboot:  db "ferry-guest: not started by a Multiboot loader", 10, 0
msg_exception:      db "ferry-guest: CPU exception ", 0

image_end:

; ---------------------------------------------------------------------------------------
; Zeroed by the loader (bss_end_addr); not in the file.
section .bss align=16
mb_magic:           resd 1
mb_info:            resd 1
ws_mib:             resd 1
ws_pages:           resd 1
rate:               resd 1
pace:               resd 1
spins_per_page:     resd 1
calibrate_end_ms:   resd 1
hpet_period_fs:     resd 1
hpet_ticks_per_ms:  resd 1
hpet_last:          resd 1
tick_remainder:     resd 1
now_ms:             resd 1
next_report_ms:     resd 1
cursor:             resd 1
written:            resd 1
decimal:            resb 12
decimal_end:        resb 4
alignb 16
idt:                resb 256 * 8
irq_stack:          resb 256
irq_stack_top:
stack:              resb 16384
stack_top:
bss_end:
