//! Short-lived per-isolate caches for the hot paths: the customer's location view (polled by
//! every open page), the job facts ingest checks on every fix, and the past trips every ETA
//! learns from.
//!
//! Views and jobs live 1 s and are dropped at once by ingest and PATCH in the same isolate, so a
//! new fix shows in the view within a second anywhere (the contract asks for 2 s). Past trips
//! change only when a trip ends, and a trip a few minutes late to teach costs nothing, so they
//! live 5 minutes: the view and the texts' ETA read and parse them (up to 30 trips of 240
//! points) once per isolate and destination, not on every fix. Wasm is single threaded: a
//! thread-local map needs no lock.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::Env;

use crate::db::jobs::Job;

use qdn_shared::eta::PastTrip;

const TTL_MS: f64 = 1000.0;
const PAST_TRIPS_TTL_MS: f64 = 300_000.0;
/// Past trips read for an ETA to a destination (those that ended there first, then those that
/// went past it; the newest of each).
const PAST_TRIPS: usize = 30;
/// Entries per map; past it the map is emptied (cheap, and rare: few jobs are live at once).
const CAPACITY: usize = 512;

struct Ttl<V> {
    ttl_ms: f64,
    map: HashMap<String, (f64, V)>,
}

impl<V: Clone> Ttl<V> {
    fn new(ttl_ms: f64) -> Self {
        Ttl {
            ttl_ms,
            map: HashMap::new(),
        }
    }

    fn get(&self, key: &str, now: f64) -> Option<V> {
        self.map
            .get(key)
            .filter(|(at, _)| now - at < self.ttl_ms)
            .map(|(_, v)| v.clone())
    }

    fn put(&mut self, key: &str, now: f64, v: V) {
        if self.map.len() >= CAPACITY {
            self.map.clear();
        }
        self.map.insert(key.to_string(), (now, v));
    }
}

/// A serialised view with its ETag.
pub struct View {
    pub body: Vec<u8>,
    pub etag: String,
}

thread_local! {
    static VIEWS: RefCell<Ttl<Rc<View>>> = RefCell::new(Ttl::new(TTL_MS));
    static JOBS: RefCell<Ttl<Rc<Job>>> = RefCell::new(Ttl::new(TTL_MS));
    static PAST: RefCell<Ttl<Rc<Vec<PastTrip>>>> = RefCell::new(Ttl::new(PAST_TRIPS_TTL_MS));
}

fn now() -> f64 {
    crate::clock::now().timestamp_millis() as f64
}

pub fn view(job_id: &str) -> Option<Rc<View>> {
    VIEWS.with(|c| c.borrow().get(job_id, now()))
}

pub fn put_view(job_id: &str, v: View) -> Rc<View> {
    let v = Rc::new(v);
    VIEWS.with(|c| c.borrow_mut().put(job_id, now(), v.clone()));
    v
}

/// The job, from the cache when it is fresh, else from D1 (the hot paths: ingest, the view).
pub async fn job(env: &Env, job_id: &str) -> worker::Result<Option<Rc<Job>>> {
    if let Some(j) = JOBS.with(|c| c.borrow().get(job_id, now())) {
        return Ok(Some(j));
    }
    let Some(job) = crate::db::jobs::get(env, job_id).await? else {
        return Ok(None);
    };
    let j = Rc::new(job);
    JOBS.with(|c| c.borrow_mut().put(&j.job_id, now(), j.clone()));
    Ok(Some(j))
}

/// New fixes: the view changes.
pub fn fixes_changed(job_id: &str) {
    VIEWS.with(|c| c.borrow_mut().map.remove(job_id));
}

/// The job itself changed: both go.
pub fn job_changed(job_id: &str) {
    fixes_changed(job_id);
    JOBS.with(|c| c.borrow_mut().map.remove(job_id));
}

/// The newest past trips to `dest` (lat, lon), from the cache when fresh, else from D1.
pub async fn past_trips(env: &Env, dest: (f64, f64)) -> worker::Result<Rc<Vec<PastTrip>>> {
    let key = format!("{:.5},{:.5}", dest.0, dest.1);
    if let Some(p) = PAST.with(|c| c.borrow().get(&key, now())) {
        return Ok(p);
    }
    let p = Rc::new(crate::db::arrival::trips_to(env, dest, PAST_TRIPS).await?);
    PAST.with(|c| c.borrow_mut().put(&key, now(), p.clone()));
    Ok(p)
}

/// What a job's location view's ETA learns from: read only when it will show one (the trailer
/// moving, with fixes).
pub async fn past_trips_for(
    env: &Env,
    job: &Job,
    fixes: &[qdn_shared::view::StoredFix],
) -> worker::Result<Rc<Vec<PastTrip>>> {
    if !job.status.is_moving() || fixes.is_empty() {
        return Ok(Default::default());
    }
    past_trips(env, (job.destination.lat, job.destination.lon)).await
}

/// A trip ended and was kept: this isolate's next ETA learns from it at once.
pub fn trips_changed() {
    PAST.with(|c| c.borrow_mut().map.clear());
}
