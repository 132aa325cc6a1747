//! Short-lived per-isolate caches for the hot paths: the customer's location view (polled by
//! every open page) and the job facts ingest checks on every fix.
//!
//! Entries live 1 s and are dropped at once by ingest and PATCH in the same isolate, so a new
//! fix shows in the view within a second anywhere (the contract asks for 2 s). Wasm is single
//! threaded: a thread-local map needs no lock.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::Env;

use crate::db::jobs::Job;

const TTL_MS: f64 = 1000.0;
/// Entries per map; past it the map is emptied (cheap, and rare: few jobs are live at once).
const CAPACITY: usize = 512;

struct Ttl<V> {
    map: HashMap<String, (f64, V)>,
}

impl<V: Clone> Ttl<V> {
    fn get(&self, key: &str, now: f64) -> Option<V> {
        self.map
            .get(key)
            .filter(|(at, _)| now - at < TTL_MS)
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
    static VIEWS: RefCell<Ttl<Rc<View>>> = RefCell::new(Ttl { map: HashMap::new() });
    static JOBS: RefCell<Ttl<Rc<Job>>> = RefCell::new(Ttl { map: HashMap::new() });
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
