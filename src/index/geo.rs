//! Geo indexing: a multi-resolution lon/lat grid from cells to the offsets whose points lie in
//! them, answering `geo_radius`, `geo_bounding_box` and `geo_polygon` with a superset.
//!
//! Level `l` cuts the globe into square cells of `180 / 2^l` degrees (level 0: two cells,
//! level [`LEVELS`]` - 1`: about 1.2 km at the equator). Every point is stored at every level.
//! A query region is first bounded by lon/lat ranges — a box crossing the antimeridian becomes
//! two ranges; a circle reaching a pole spans every longitude — and the ranges are covered at
//! the finest level that needs at most [`MAX_CELLS`] cells; the union of those cells' lists is
//! the answer. Points outside the valid lon/lat ranges are not in the grid: they are always
//! candidates, so the evaluator decides them as it would without an index.

use std::collections::HashMap;

use crate::model::filter::{GeoBoundingBox, GeoPoint, GeoPolygon, GeoRadius};

/// Grid levels, coarsest (0) to finest.
pub const LEVELS: u8 = 15;
/// The most cells one query region may be covered with.
pub const MAX_CELLS: usize = 256;
/// Mean Earth radius in metres, the one the evaluator's Haversine distance uses.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A closed lon/lat range in degrees, lon within [-180, 180], lat within [-90, 90].
#[derive(Clone, Copy, Debug, PartialEq)]
struct Area {
    west: f64,
    east: f64,
    south: f64,
    north: f64,
}

/// One key's geo index.
#[derive(Clone, Debug, Default)]
pub struct GeoIndex {
    cells: HashMap<(u8, u32, u32), Vec<u32>>,
    /// Offsets with a point outside the valid ranges.
    outliers: Vec<u32>,
}

impl GeoIndex {
    /// Indexes one point under `offset`.
    pub fn add(&mut self, offset: u32, point: GeoPoint) {
        let valid = (-180.0..=180.0).contains(&point.lon) && (-90.0..=90.0).contains(&point.lat);
        if !valid {
            if self.outliers.last() != Some(&offset) {
                self.outliers.push(offset);
            }
            return;
        }
        for level in 0..LEVELS {
            let list = self.cells.entry(cell(level, point)).or_default();
            if list.last() != Some(&offset) {
                list.push(offset);
            }
        }
    }

    /// A superset of the offsets with a point within `radius` (sorted, distinct).
    pub fn within_radius(&self, circle: &GeoRadius) -> Vec<u32> {
        self.covering(&radius_areas(circle))
    }

    /// A superset of the offsets with a point inside `bounds` (sorted, distinct).
    pub fn within_box(&self, bounds: &GeoBoundingBox) -> Vec<u32> {
        let (west, east) = (bounds.top_left.lon, bounds.bottom_right.lon);
        let (south, north) = (bounds.bottom_right.lat, bounds.top_left.lat);
        let areas = if west > east {
            vec![
                Area::clamped(west, 180.0, south, north),
                Area::clamped(-180.0, east, south, north),
            ]
        } else {
            vec![Area::clamped(west, east, south, north)]
        };
        self.covering(&areas)
    }

    /// A superset of the offsets with a point inside `polygon`'s exterior ring (sorted,
    /// distinct); like the evaluator, lon/lat are plane coordinates, so the ring's bounds bound it.
    pub fn within_polygon(&self, polygon: &GeoPolygon) -> Vec<u32> {
        let ring = &polygon.exterior.points;
        let fold = |init: f64, pick: fn(&GeoPoint) -> f64, f: fn(f64, f64) -> f64| {
            ring.iter().map(pick).fold(init, f)
        };
        let area = Area::clamped(
            fold(f64::INFINITY, |p| p.lon, f64::min),
            fold(f64::NEG_INFINITY, |p| p.lon, f64::max),
            fold(f64::INFINITY, |p| p.lat, f64::min),
            fold(f64::NEG_INFINITY, |p| p.lat, f64::max),
        );
        self.covering(&[area])
    }

    fn covering(&self, areas: &[Area]) -> Vec<u32> {
        let areas: Vec<Area> = areas.iter().copied().filter(Area::is_valid).collect();
        let level = (0..LEVELS)
            .rev()
            .find(|&level| areas.iter().map(|a| a.cell_count(level)).sum::<usize>() <= MAX_CELLS)
            .unwrap_or(0);
        let mut out = self.outliers.clone();
        for area in &areas {
            let (x0, y0) = cell_xy(level, area.west, area.south);
            let (x1, y1) = cell_xy(level, area.east, area.north);
            for x in x0..=x1 {
                for y in y0..=y1 {
                    if let Some(list) = self.cells.get(&(level, x, y)) {
                        out.extend_from_slice(list);
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Area {
    fn clamped(west: f64, east: f64, south: f64, north: f64) -> Area {
        Area {
            west: west.clamp(-180.0, 180.0),
            east: east.clamp(-180.0, 180.0),
            south: south.clamp(-90.0, 90.0),
            north: north.clamp(-90.0, 90.0),
        }
    }

    /// NaN bounds or an inverted range cover nothing.
    fn is_valid(&self) -> bool {
        self.west <= self.east && self.south <= self.north
    }

    fn cell_count(&self, level: u8) -> usize {
        let (x0, y0) = cell_xy(level, self.west, self.south);
        let (x1, y1) = cell_xy(level, self.east, self.north);
        (x1 - x0 + 1) as usize * (y1 - y0 + 1) as usize
    }
}

fn cell(level: u8, p: GeoPoint) -> (u8, u32, u32) {
    let (x, y) = cell_xy(level, p.lon, p.lat);
    (level, x, y)
}

/// The column and row of a lon/lat at `level`; the east and north edges belong to the last
/// column and row.
fn cell_xy(level: u8, lon: f64, lat: f64) -> (u32, u32) {
    let size = 180.0 / f64::from(1u32 << level);
    let columns = 2u32 << level;
    let rows = 1u32 << level;
    let x = (((lon + 180.0) / size).floor() as u32).min(columns - 1);
    let y = (((lat + 90.0) / size).floor() as u32).min(rows - 1);
    (x, y)
}

/// Lon/lat ranges holding every point closer than `radius` metres to the centre: the latitude
/// band of the spherical cap, and the longitudes its widest parallel spans (all of them when it
/// reaches a pole), split at the antimeridian.
fn radius_areas(circle: &GeoRadius) -> Vec<Area> {
    let c = circle.center;
    // A little extra angle so that rounding never drops a point the evaluator accepts.
    let angle = (circle.radius / EARTH_RADIUS_M).max(0.0) * (1.0 + 1e-9) + 1e-12;
    if !angle.is_finite() || angle >= std::f64::consts::PI {
        return vec![Area::clamped(-180.0, 180.0, -90.0, 90.0)];
    }
    let delta = angle.to_degrees();
    let (south, north) = (c.lat - delta, c.lat + delta);
    if south <= -90.0 || north >= 90.0 {
        return vec![Area::clamped(-180.0, 180.0, south, north)];
    }
    let ratio = angle.sin() / c.lat.to_radians().cos();
    if ratio >= 1.0 {
        return vec![Area::clamped(-180.0, 180.0, south, north)];
    }
    let half_width = ratio.asin().to_degrees() + 1e-9;
    let (west, east) = (c.lon - half_width, c.lon + half_width);
    let mut areas = vec![Area::clamped(west, east, south, north)];
    if west < -180.0 {
        areas.push(Area::clamped(west + 360.0, 180.0, south, north));
    }
    if east > 180.0 {
        areas.push(Area::clamped(-180.0, east - 360.0, south, north));
    }
    areas
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::filter::haversine_m;
    use serde_json::json;

    fn p(lon: f64, lat: f64) -> GeoPoint {
        GeoPoint { lon, lat }
    }

    fn circle(lon: f64, lat: f64, radius: f64) -> GeoRadius {
        serde_json::from_value(json!({"center": {"lon": lon, "lat": lat}, "radius": radius}))
            .unwrap()
    }

    /// Points on a 2-degree lattice over the globe, plus the poles and the antimeridian.
    fn lattice() -> (GeoIndex, Vec<GeoPoint>) {
        let mut points = vec![p(180.0, 0.0), p(-180.0, 0.0), p(0.0, 90.0), p(0.0, -90.0)];
        for lon in (-90..90).map(|i| f64::from(i) * 2.0 + 0.5) {
            for lat in (-44..45).map(|i| f64::from(i) * 2.0 + 0.3) {
                points.push(p(lon, lat));
            }
        }
        let mut index = GeoIndex::default();
        for (offset, point) in points.iter().enumerate() {
            index.add(offset as u32, *point);
        }
        (index, points)
    }

    #[test]
    fn radius_candidates_contain_every_point_in_the_circle() {
        let (index, points) = lattice();
        let circles = [
            circle(13.4, 52.5, 300_000.0),
            circle(179.5, 10.0, 500_000.0),
            circle(-179.9, -20.0, 250_000.0),
            circle(0.0, 89.0, 400_000.0),
            circle(45.0, -88.5, 100_000.0),
            circle(0.0, 0.0, 30_000_000.0),
        ];
        for c in circles {
            let found = index.within_radius(&c);
            let inside: Vec<u32> = (0..points.len() as u32)
                .filter(|&o| haversine_m(c.center, points[o as usize]) < c.radius)
                .collect();
            assert!(!inside.is_empty(), "{c:?} should hold some points");
            assert!(
                inside.iter().all(|o| found.contains(o)),
                "{c:?} lost points"
            );
            if c.radius < 1_000_000.0 {
                assert!(found.len() < points.len() / 10, "{c:?} is not selective");
            }
        }
    }

    #[test]
    fn box_across_the_antimeridian_finds_both_sides() {
        let (index, points) = lattice();
        let bounds: GeoBoundingBox = serde_json::from_value(json!({
            "top_left": {"lon": 175.0, "lat": 5.0},
            "bottom_right": {"lon": -175.0, "lat": -5.0}
        }))
        .unwrap();
        let found = index.within_box(&bounds);
        let lons: Vec<f64> = found.iter().map(|&o| points[o as usize].lon).collect();
        assert!(lons.iter().any(|&l| l > 175.0) && lons.iter().any(|&l| l < -175.0));
        assert!(lons.iter().all(|&l| l.abs() > 170.0));
    }

    #[test]
    fn polygon_candidates_are_bounded_by_the_ring() {
        let (index, points) = lattice();
        let polygon: GeoPolygon = serde_json::from_value(json!({"exterior": {"points": [
            {"lon": 10.0, "lat": 10.0}, {"lon": 20.0, "lat": 10.0},
            {"lon": 15.0, "lat": 20.0}, {"lon": 10.0, "lat": 10.0}
        ]}}))
        .unwrap();
        let found = index.within_polygon(&polygon);
        assert!(!found.is_empty());
        assert!(found.iter().all(|&o| {
            let q = points[o as usize];
            (9.0..=21.0).contains(&q.lon) && (9.0..=21.0).contains(&q.lat)
        }));
    }

    #[test]
    fn out_of_range_points_are_always_candidates() {
        let mut index = GeoIndex::default();
        index.add(7, p(200.0, 0.0));
        index.add(8, p(0.0, 0.0));
        assert_eq!(index.within_radius(&circle(100.0, 0.0, 1.0)), vec![7]);
    }
}
