//! Geodesy for positions on the ground: one Earth radius, a local east/north projection and the
//! great-circle distance. Used by `locate` (transmitter fits), `evidence` (bundle estimates) and
//! the finder; the distances involved (metres to tens of kilometres) make a spherical Earth and a
//! tangent-plane projection exact enough (< 0.1 % at 10 km).

/// Mean Earth radius (m), IUGG.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Local east/north projection about a reference point.
#[derive(Debug, Clone, Copy)]
pub struct Enu {
    lat0_deg: f64,
    lon0_deg: f64,
    cos_lat0: f64,
}

impl Enu {
    /// Projection centred on `(lat0, lon0)`.
    pub fn new(lat0_deg: f64, lon0_deg: f64) -> Self {
        Enu {
            lat0_deg,
            lon0_deg,
            cos_lat0: lat0_deg.to_radians().cos().max(1e-6),
        }
    }
    /// Degrees → metres east, north.
    pub fn to_xy(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let mut dlon = lon_deg - self.lon0_deg;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        (
            dlon.to_radians() * EARTH_RADIUS_M * self.cos_lat0,
            (lat_deg - self.lat0_deg).to_radians() * EARTH_RADIUS_M,
        )
    }
    /// Metres east, north → degrees.
    pub fn to_latlon(&self, x_m: f64, y_m: f64) -> (f64, f64) {
        let lat = self.lat0_deg + (y_m / EARTH_RADIUS_M).to_degrees();
        let mut lon = self.lon0_deg + (x_m / (EARTH_RADIUS_M * self.cos_lat0)).to_degrees();
        if lon > 180.0 {
            lon -= 360.0;
        } else if lon < -180.0 {
            lon += 360.0;
        }
        (lat, lon)
    }
}

/// Great-circle distance (haversine), metres.
pub fn distance_m(lat1_deg: f64, lon1_deg: f64, lat2_deg: f64, lon2_deg: f64) -> f64 {
    let (p1, p2) = (lat1_deg.to_radians(), lat2_deg.to_radians());
    let dp = p2 - p1;
    let dl = (lon2_deg - lon1_deg).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}
