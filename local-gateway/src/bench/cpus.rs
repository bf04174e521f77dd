//! Who runs on which core while measuring. On Lambda a function has its vCPU to itself:
//! DynamoDB, S3 and the Runtime API run on other machines. Here they are moto, the
//! keep-alive proxy and the bench's own Runtime API, all on the same two cores, and moto
//! in particular (Python, tens of milliseconds per request) would otherwise share the
//! measured process's core and caches, evicting its code and data between its AWS
//! requests. So with two cores or more, the bench and everything it starts (moto
//! included) run on all cores but the last, and every measured program on the last one.
//!
//! While a function waits on moto (up to 50 ms a query, where DynamoDB takes a few), its
//! core goes idle; in a VM an idle core halts, the host runs other work on it, and the
//! function then parses the answer on cold caches. [`ShallowIdle`] keeps the cores out of
//! deep idle states while measuring, as latency benchmarks do.

use std::fs::File;
use std::io::{self, Write};

/// The split of this machine's cores, when it has at least two.
#[derive(Clone, Copy, Debug)]
pub struct CoreSplit {
    measured: usize,
}

impl CoreSplit {
    /// Moves this process (every thread it has now; threads started later inherit it) off
    /// the last core, and returns the split. `None` on a one-core machine.
    pub fn apply() -> io::Result<Option<Self>> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        if cores < 2 {
            return Ok(None);
        }
        let online = allowed(0)?;
        let Some(&measured) = online.iter().max() else { return Ok(None) };
        let rest: Vec<usize> = online.into_iter().filter(|&cpu| cpu != measured).collect();
        for task in std::fs::read_dir("/proc/self/task")? {
            let tid: libc::pid_t = task?.file_name().to_string_lossy().parse().map_err(io::Error::other)?;
            set(tid, &rest)?;
        }
        Ok(Some(Self { measured }))
    }

    /// The core every measured program runs on.
    pub fn measured_core(self) -> usize {
        self.measured
    }
}

/// The kernel's CPU latency request (PM QoS): while the file stays open with 0 written to
/// it, no core enters an idle state that takes time to leave (a VM's halt included).
const CPU_LATENCY: &str = "/dev/cpu_dma_latency";

/// Holds every core in shallow idle states while alive. Needs root; without it the bench
/// measures as before and says so.
pub struct ShallowIdle(Option<File>);

impl ShallowIdle {
    pub fn hold() -> Self {
        let request = || -> io::Result<File> {
            let mut file = File::options().write(true).open(CPU_LATENCY)?;
            file.write_all(&0i32.to_ne_bytes())?;
            Ok(file)
        };
        Self(request().ok())
    }

    /// Holds the cores again (`true`) or lets them go into any idle state (`false`): the
    /// peers' warm series run both ways, to show what the hold changes.
    pub fn set(&mut self, held: bool) {
        *self = if held { Self::hold() } else { Self(None) };
    }

    pub fn held(&self) -> bool {
        self.0.is_some()
    }
}

/// Pins the calling thread (in a child between fork and exec: the program about to start)
/// to `cpu`. Only a system call, so it is safe to make there.
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    set(0, &[cpu])
}

fn allowed(tid: libc::pid_t) -> io::Result<Vec<usize>> {
    // SAFETY: a zeroed cpu_set_t is the empty set; the kernel writes at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    if unsafe { libc::sched_getaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect())
}

fn set(tid: libc::pid_t, cpus: &[usize]) -> io::Result<()> {
    // SAFETY: as above; CPU_SET writes within the set for cpu < CPU_SETSIZE.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    if unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
