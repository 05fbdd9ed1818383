// SoapySDR file-playback device: `driver=iqfile,file=PATH,format=cf32|cs16|cs8|cu8,rate=SPS`.
//
// Part of Towerwatch (GPL-3.0-or-later). Plays an IQ recording through the real SoapySDR API so that
// any SoapySDR program (and Towerwatch's end-to-end test) can read a file as if it were a receiver.
// See README.md beside this file for the arguments and what a reader sees at end of file.

#include <SoapySDR/Device.hpp>
#include <SoapySDR/Errors.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Logger.hpp>
#include <SoapySDR/Registry.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

const char *const DRIVER = "iqfile";
const size_t MTU_SAMPLES = 16384;

enum class FileFormat { CF32, CS16, CS8, CU8 };

struct FormatInfo {
    const char *name;       // as given in format=
    const char *soapy;      // SoapySDR stream-format name of the same layout
    size_t bytes_per_sample; // one complex sample
    double full_scale;      // native full scale as SoapySDR reports it
};

FormatInfo formatInfo(FileFormat f) {
    switch (f) {
    case FileFormat::CF32: return {"cf32", SOAPY_SDR_CF32, 8, 1.0};
    case FileFormat::CS16: return {"cs16", SOAPY_SDR_CS16, 4, 32768.0};
    case FileFormat::CS8: return {"cs8", SOAPY_SDR_CS8, 2, 128.0};
    case FileFormat::CU8: return {"cu8", SOAPY_SDR_CU8, 2, 127.5};
    }
    return {"cf32", SOAPY_SDR_CF32, 8, 1.0};
}

bool parseFormat(const std::string &s, FileFormat &out) {
    if (s == "cf32" || s == "cf32_le" || s == "CF32") { out = FileFormat::CF32; return true; }
    if (s == "cs16" || s == "ci16_le" || s == "CS16") { out = FileFormat::CS16; return true; }
    if (s == "cs8" || s == "ci8" || s == "CS8") { out = FileFormat::CS8; return true; }
    if (s == "cu8" || s == "CU8") { out = FileFormat::CU8; return true; }
    return false;
}

// Format from the file-name extension, for when format= is not given.
bool formatFromName(const std::string &path, FileFormat &out) {
    const size_t dot = path.rfind('.');
    if (dot == std::string::npos) return false;
    const std::string ext = path.substr(dot + 1);
    if (ext == "cfile" || ext == "cf32" || ext == "fc32" || ext == "raw32") { out = FileFormat::CF32; return true; }
    if (ext == "cs16" || ext == "sc16") { out = FileFormat::CS16; return true; }
    if (ext == "cs8" || ext == "sc8") { out = FileFormat::CS8; return true; }
    if (ext == "cu8") { out = FileFormat::CU8; return true; }
    return false;
}

// Strict number parsing: the whole string must be a finite number.
bool parseDouble(const std::string &s, double &out) {
    if (s.empty()) return false;
    char *end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (errno != 0 || end == s.c_str() || *end != '\0' || !std::isfinite(v)) return false;
    out = v;
    return true;
}

bool parseBool(const std::string &s, bool &out) {
    if (s == "1" || s == "true" || s == "yes") { out = true; return true; }
    if (s == "0" || s == "false" || s == "no" || s.empty()) { out = false; return true; }
    return false;
}

std::string get(const SoapySDR::Kwargs &args, const std::string &key, const std::string &dflt = "") {
    const auto it = args.find(key);
    return it == args.end() ? dflt : it->second;
}

// Everything the arguments say, checked. Throws std::runtime_error naming the file and the problem.
struct Config {
    std::string path;
    FileFormat format = FileFormat::CF32;
    double rate_sps = 0.0;
    double freq_hz = 0.0;
    bool realtime = false;
    bool loop = false;
    double backlog_s = 0.5;
    unsigned long long total_samples = 0;
    // Fault injection (tests): every Nth readStream call reports the fault instead of samples
    // (0 = never); after `vanish_after` samples the device is gone: every read is a stream error.
    unsigned long long fault_overflow_every = 0;
    unsigned long long fault_timeout_every = 0;
    unsigned long long fault_error_every = 0;
    unsigned long long fault_vanish_after = 0;
    bool vanish = false;

    static Config fromArgs(const SoapySDR::Kwargs &args) {
        Config c;
        c.path = get(args, "file");
        if (c.path.empty()) throw std::runtime_error("iqfile: missing file=PATH");
        const std::string who = "iqfile " + c.path + ": ";

        const std::string fmt = get(args, "format");
        if (fmt.empty()) {
            if (!formatFromName(c.path, c.format))
                throw std::runtime_error(who + "missing format= (cf32, cs16, cs8 or cu8) and the file extension does not say");
        } else if (!parseFormat(fmt, c.format)) {
            throw std::runtime_error(who + "unknown format '" + fmt + "' (use cf32, cs16, cs8 or cu8)");
        }

        const std::string rate = get(args, "rate");
        if (rate.empty()) throw std::runtime_error(who + "missing rate=SPS");
        if (!parseDouble(rate, c.rate_sps) || c.rate_sps <= 0.0)
            throw std::runtime_error(who + "rate '" + rate + "' is not a positive number of samples per second");

        const std::string freq = get(args, "freq", "0");
        if (!parseDouble(freq, c.freq_hz) || c.freq_hz < 0.0)
            throw std::runtime_error(who + "freq '" + freq + "' is not a frequency in Hz >= 0");

        if (!parseBool(get(args, "realtime", "0"), c.realtime))
            throw std::runtime_error(who + "realtime must be 0 or 1");
        if (!parseBool(get(args, "loop", "0"), c.loop))
            throw std::runtime_error(who + "loop must be 0 or 1");

        const std::string backlog = get(args, "backlog", "0.5");
        if (!parseDouble(backlog, c.backlog_s) || c.backlog_s <= 0.0)
            throw std::runtime_error(who + "backlog '" + backlog + "' is not a positive number of seconds");

        const auto count = [&](const char *key, unsigned long long &out) {
            const std::string v = get(args, key, "0");
            double d = 0.0;
            if (!parseDouble(v, d) || d < 0.0 || d != static_cast<double>(static_cast<unsigned long long>(d)))
                throw std::runtime_error(who + key + " '" + v + "' is not a count >= 0");
            out = static_cast<unsigned long long>(d);
        };
        count("fault_overflow_every", c.fault_overflow_every);
        count("fault_timeout_every", c.fault_timeout_every);
        count("fault_error_every", c.fault_error_every);
        c.vanish = args.count("fault_vanish_after") != 0;
        count("fault_vanish_after", c.fault_vanish_after);

        struct stat st {};
        if (::stat(c.path.c_str(), &st) != 0)
            throw std::runtime_error(who + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) throw std::runtime_error(who + "not a regular file");
        const size_t bps = formatInfo(c.format).bytes_per_sample;
        const unsigned long long size = static_cast<unsigned long long>(st.st_size);
        if (size % bps != 0)
            throw std::runtime_error(who + "size " + std::to_string(size) + " bytes is not a whole number of " +
                                     formatInfo(c.format).name + " samples (" + std::to_string(bps) + " bytes each)");
        c.total_samples = size / bps;
        if (c.loop && c.total_samples == 0) throw std::runtime_error(who + "loop=1 on an empty file");
        return c;
    }
};

struct IQStream {
    bool cf32 = true;      // output CF32, else CS16
    bool active = false;
    bool ended = false;    // end of file reached and reported (END_BURST sent)
    unsigned long long pos = 0;       // next sample index to deliver (counts up across loops)
    Clock::time_point t0;             // realtime: when sample `origin` became available
    unsigned long long origin = 0;
    unsigned long long reads = 0;     // readStream calls while active (fault injection)
};

class IQFileDevice : public SoapySDR::Device {
public:
    explicit IQFileDevice(const Config &cfg) : cfg_(cfg), freq_hz_(cfg.freq_hz) {
        file_ = std::fopen(cfg_.path.c_str(), "rb");
        if (file_ == nullptr)
            throw std::runtime_error("iqfile " + cfg_.path + ": " + std::strerror(errno));
    }
    ~IQFileDevice() override {
        if (file_ != nullptr) std::fclose(file_);
    }

    // Identification
    std::string getDriverKey() const override { return DRIVER; }
    std::string getHardwareKey() const override { return "iqfile"; }
    SoapySDR::Kwargs getHardwareInfo() const override {
        SoapySDR::Kwargs info;
        info["file"] = cfg_.path;
        info["format"] = formatInfo(cfg_.format).name;
        info["samples"] = std::to_string(cfg_.total_samples);
        info["realtime"] = cfg_.realtime ? "1" : "0";
        info["loop"] = cfg_.loop ? "1" : "0";
        return info;
    }

    // Channels
    size_t getNumChannels(const int direction) const override { return direction == SOAPY_SDR_RX ? 1 : 0; }
    bool getFullDuplex(const int, const size_t) const override { return false; }

    // Stream formats
    std::vector<std::string> getStreamFormats(const int, const size_t) const override {
        return {SOAPY_SDR_CF32, SOAPY_SDR_CS16};
    }
    std::string getNativeStreamFormat(const int, const size_t, double &fullScale) const override {
        const FormatInfo fi = formatInfo(cfg_.format);
        fullScale = fi.full_scale;
        return fi.soapy;
    }

    SoapySDR::Stream *setupStream(const int direction, const std::string &format, const std::vector<size_t> &channels,
                                  const SoapySDR::Kwargs &) override {
        if (direction != SOAPY_SDR_RX) throw std::runtime_error("iqfile: receive only, no TX");
        if (channels.size() > 1 || (channels.size() == 1 && channels[0] != 0))
            throw std::runtime_error("iqfile: one RX channel (0) only");
        if (format != SOAPY_SDR_CF32 && format != SOAPY_SDR_CS16)
            throw std::runtime_error("iqfile: stream format " + format + " not supported (use CF32 or CS16)");
        std::lock_guard<std::mutex> lock(mutex_);
        if (stream_ != nullptr) throw std::runtime_error("iqfile: a stream is already open");
        stream_ = new IQStream();
        stream_->cf32 = format == SOAPY_SDR_CF32;
        return reinterpret_cast<SoapySDR::Stream *>(stream_);
    }
    void closeStream(SoapySDR::Stream *stream) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (reinterpret_cast<IQStream *>(stream) == stream_) {
            delete stream_;
            stream_ = nullptr;
        }
    }
    size_t getStreamMTU(SoapySDR::Stream *) const override { return MTU_SAMPLES; }

    int activateStream(SoapySDR::Stream *stream, const int, const long long, const size_t) override {
        std::lock_guard<std::mutex> lock(mutex_);
        IQStream *s = check(stream);
        if (s == nullptr) return SOAPY_SDR_STREAM_ERROR;
        s->active = true;
        s->t0 = Clock::now();
        s->origin = s->pos;
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *stream, const int, const long long) override {
        std::lock_guard<std::mutex> lock(mutex_);
        IQStream *s = check(stream);
        if (s == nullptr) return SOAPY_SDR_STREAM_ERROR;
        s->active = false;
        return 0;
    }

    int readStream(SoapySDR::Stream *stream, void *const *buffs, const size_t numElems, int &flags, long long &timeNs,
                   const long timeoutUs) override {
        flags = 0;
        std::unique_lock<std::mutex> lock(mutex_);
        IQStream *s = check(stream);
        if (s == nullptr) return SOAPY_SDR_STREAM_ERROR;
        const auto timeout = std::chrono::microseconds(std::max(0L, timeoutUs));
        if (!s->active || s->ended || numElems == 0) {
            lock.unlock();
            std::this_thread::sleep_for(timeout);
            return SOAPY_SDR_TIMEOUT;
        }

        // Injected faults, in the order a real driver could report them.
        if (cfg_.vanish && s->pos >= cfg_.fault_vanish_after) return SOAPY_SDR_STREAM_ERROR;
        s->reads += 1;
        const auto every = [&](unsigned long long n) { return n != 0 && s->reads % n == 0; };
        if (every(cfg_.fault_overflow_every)) {
            // Samples lost in the device: skip a transfer's worth, as an overrun does.
            s->pos += MTU_SAMPLES;
            if (!cfg_.loop) s->pos = std::min(s->pos, cfg_.total_samples);
            return SOAPY_SDR_OVERFLOW;
        }
        if (every(cfg_.fault_timeout_every)) return SOAPY_SDR_TIMEOUT;
        if (every(cfg_.fault_error_every)) return SOAPY_SDR_STREAM_ERROR;

        const unsigned long long total = cfg_.total_samples;
        // Samples left before end of file (infinite when looping).
        unsigned long long left = cfg_.loop ? ~0ULL : total - std::min(total, s->pos);
        if (cfg_.vanish) left = std::min(left, cfg_.fault_vanish_after - s->pos);
        size_t want = static_cast<size_t>(std::min<unsigned long long>({numElems, MTU_SAMPLES, left}));

        if (cfg_.realtime) {
            // The file "plays" at wall-clock speed from activation on, like a receiver.
            const double elapsed_s = std::chrono::duration<double>(Clock::now() - s->t0).count();
            const unsigned long long avail = s->origin + static_cast<unsigned long long>(elapsed_s * cfg_.rate_sps);
            const auto backlog = static_cast<unsigned long long>(cfg_.backlog_s * cfg_.rate_sps);
            if (avail > s->pos + backlog) {
                // The reader fell behind by more than the device buffers hold: drop, as hardware does.
                unsigned long long skip_to = avail;
                if (!cfg_.loop) skip_to = std::min(skip_to, total);
                s->pos = skip_to;
                return SOAPY_SDR_OVERFLOW;
            }
            if (avail < s->pos + want) {
                const double need_s = static_cast<double>(s->pos + want - s->origin) / cfg_.rate_sps;
                const auto ready = s->t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(need_s));
                const auto deadline = Clock::now() + timeout;
                lock.unlock();
                std::this_thread::sleep_until(std::min(ready, deadline));
                lock.lock();
                s = check(stream);
                if (s == nullptr) return SOAPY_SDR_STREAM_ERROR;
                const double now_s = std::chrono::duration<double>(Clock::now() - s->t0).count();
                const unsigned long long now_avail = s->origin + static_cast<unsigned long long>(now_s * cfg_.rate_sps);
                if (now_avail <= s->pos) return SOAPY_SDR_TIMEOUT;
                want = static_cast<size_t>(std::min<unsigned long long>(want, now_avail - s->pos));
            }
        }

        const int got = readSamples(s, buffs[0], want);
        if (got < 0) return got;
        timeNs = static_cast<long long>(std::llround(static_cast<double>(s->pos) * 1e9 / cfg_.rate_sps));
        flags |= SOAPY_SDR_HAS_TIME;
        s->pos += static_cast<unsigned long long>(got);
        if (!cfg_.loop && s->pos >= total) {
            s->ended = true;
            flags |= SOAPY_SDR_END_BURST;
            if (got == 0) {
                lock.unlock();
                std::this_thread::sleep_for(timeout);
                return SOAPY_SDR_TIMEOUT;
            }
        }
        return got;
    }

    // Antennas
    std::vector<std::string> listAntennas(const int, const size_t) const override { return {"RX"}; }
    void setAntenna(const int, const size_t, const std::string &name) override {
        if (name != "RX") throw std::runtime_error("iqfile: no antenna '" + name + "' (only RX)");
    }
    std::string getAntenna(const int, const size_t) const override { return "RX"; }

    // Frequency: metadata only; the samples are whatever the file holds.
    std::vector<std::string> listFrequencies(const int, const size_t) const override { return {"RF", "CORR"}; }
    void setFrequency(const int, const size_t, const double frequency, const SoapySDR::Kwargs &) override {
        std::lock_guard<std::mutex> lock(mutex_);
        freq_hz_ = frequency;
    }
    void setFrequency(const int, const size_t, const std::string &name, const double frequency,
                      const SoapySDR::Kwargs &) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (name == "RF") freq_hz_ = frequency;
        else if (name == "CORR") corr_ppm_ = frequency;
        else throw std::runtime_error("iqfile: no frequency component '" + name + "'");
    }
    double getFrequency(const int, const size_t) const override {
        std::lock_guard<std::mutex> lock(mutex_);
        return freq_hz_;
    }
    double getFrequency(const int, const size_t, const std::string &name) const override {
        std::lock_guard<std::mutex> lock(mutex_);
        return name == "CORR" ? corr_ppm_ : freq_hz_;
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t) const override {
        return {SoapySDR::Range(0.0, 100e9)};
    }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t, const std::string &name) const override {
        if (name == "CORR") return {SoapySDR::Range(-1000.0, 1000.0)};
        return {SoapySDR::Range(0.0, 100e9)};
    }
    bool hasFrequencyCorrection(const int, const size_t) const override { return true; }
    void setFrequencyCorrection(const int, const size_t, const double value) override {
        std::lock_guard<std::mutex> lock(mutex_);
        corr_ppm_ = value;
    }
    double getFrequencyCorrection(const int, const size_t) const override {
        std::lock_guard<std::mutex> lock(mutex_);
        return corr_ppm_;
    }

    // Sample rate: fixed by the file; the module does not resample.
    void setSampleRate(const int, const size_t, const double rate) override {
        if (std::fabs(rate - cfg_.rate_sps) > 0.5)
            throw std::runtime_error("iqfile " + cfg_.path + ": rate is fixed at " + std::to_string(cfg_.rate_sps) +
                                     " S/s by rate=; cannot set " + std::to_string(rate));
    }
    double getSampleRate(const int, const size_t) const override { return cfg_.rate_sps; }
    std::vector<double> listSampleRates(const int, const size_t) const override { return {cfg_.rate_sps}; }
    SoapySDR::RangeList getSampleRateRange(const int, const size_t) const override {
        return {SoapySDR::Range(cfg_.rate_sps, cfg_.rate_sps)};
    }
    void setBandwidth(const int, const size_t, const double) override {}
    double getBandwidth(const int, const size_t) const override { return cfg_.rate_sps; }
    SoapySDR::RangeList getBandwidthRange(const int, const size_t) const override {
        return {SoapySDR::Range(cfg_.rate_sps, cfg_.rate_sps)};
    }

    // Gain: one dummy "IF" element, stored and reported, never applied to the samples.
    std::vector<std::string> listGains(const int, const size_t) const override { return {"IF"}; }
    bool hasGainMode(const int, const size_t) const override { return true; }
    void setGainMode(const int, const size_t, const bool automatic) override {
        std::lock_guard<std::mutex> lock(mutex_);
        agc_ = automatic;
    }
    bool getGainMode(const int, const size_t) const override {
        std::lock_guard<std::mutex> lock(mutex_);
        return agc_;
    }
    void setGain(const int, const size_t, const double value) override { setGainChecked(value); }
    void setGain(const int, const size_t, const std::string &name, const double value) override {
        if (name != "IF") throw std::runtime_error("iqfile: no gain element '" + name + "' (only IF)");
        setGainChecked(value);
    }
    double getGain(const int, const size_t) const override {
        std::lock_guard<std::mutex> lock(mutex_);
        return gain_db_;
    }
    double getGain(const int, const size_t, const std::string &) const override {
        std::lock_guard<std::mutex> lock(mutex_);
        return gain_db_;
    }
    SoapySDR::Range getGainRange(const int, const size_t) const override { return SoapySDR::Range(0.0, 60.0, 1.0); }
    SoapySDR::Range getGainRange(const int, const size_t, const std::string &) const override {
        return SoapySDR::Range(0.0, 60.0, 1.0);
    }

private:
    IQStream *check(SoapySDR::Stream *stream) const {
        IQStream *s = reinterpret_cast<IQStream *>(stream);
        return (s != nullptr && s == stream_) ? s : nullptr;
    }

    void setGainChecked(double value) {
        if (!(value >= 0.0 && value <= 60.0))
            throw std::runtime_error("iqfile: gain " + std::to_string(value) + " dB outside 0..60 dB");
        std::lock_guard<std::mutex> lock(mutex_);
        gain_db_ = value;
    }

    // Read `n` samples starting at s->pos (wrapping when looping) and convert. Returns count or error.
    int readSamples(IQStream *s, void *out, size_t n) {
        const FormatInfo fi = formatInfo(cfg_.format);
        raw_.resize(n * fi.bytes_per_sample);
        size_t done = 0;
        unsigned long long pos = s->pos;
        while (done < n) {
            const unsigned long long at = cfg_.loop ? pos % cfg_.total_samples : pos;
            if (at >= cfg_.total_samples) break;
            const size_t chunk = static_cast<size_t>(std::min<unsigned long long>(n - done, cfg_.total_samples - at));
            if (std::fseek(file_, static_cast<long>(at * fi.bytes_per_sample), SEEK_SET) != 0) {
                SoapySDR::logf(SOAPY_SDR_ERROR, "iqfile %s: seek failed: %s", cfg_.path.c_str(), std::strerror(errno));
                return SOAPY_SDR_STREAM_ERROR;
            }
            const size_t got = std::fread(raw_.data() + done * fi.bytes_per_sample, fi.bytes_per_sample, chunk, file_);
            done += got;
            pos += got;
            if (got < chunk) {
                if (std::ferror(file_)) {
                    SoapySDR::logf(SOAPY_SDR_ERROR, "iqfile %s: read failed", cfg_.path.c_str());
                    return SOAPY_SDR_STREAM_ERROR;
                }
                break; // file shrank under us: treat as end of file
            }
        }
        convert(s->cf32, out, done);
        return static_cast<int>(done);
    }

    // Sample value of raw sample component `i`, as a float in [-1, 1).
    // cf32 as is; cs16 / 32768; cs8 / 128; cu8 (x - 127.5) / 127.5 (the same scaling as Towerwatch's
    // file reader, so both paths give the same samples).
    float component(size_t i) const {
        switch (cfg_.format) {
        case FileFormat::CF32: {
            float v;
            std::memcpy(&v, raw_.data() + 4 * i, 4);
            return v;
        }
        case FileFormat::CS16: {
            int16_t v;
            std::memcpy(&v, raw_.data() + 2 * i, 2);
            return static_cast<float>(v) / 32768.0f;
        }
        case FileFormat::CS8: return static_cast<float>(static_cast<int8_t>(raw_[i])) / 128.0f;
        case FileFormat::CU8: return (static_cast<float>(raw_[i]) - 127.5f) / 127.5f;
        }
        return 0.0f;
    }

    void convert(bool cf32, void *out, size_t n) const {
        if (cf32) {
            float *o = static_cast<float *>(out);
            if (cfg_.format == FileFormat::CF32) {
                std::memcpy(o, raw_.data(), n * 8);
                return;
            }
            for (size_t i = 0; i < 2 * n; ++i) o[i] = component(i);
        } else {
            int16_t *o = static_cast<int16_t *>(out);
            if (cfg_.format == FileFormat::CS16) {
                std::memcpy(o, raw_.data(), n * 4);
                return;
            }
            for (size_t i = 0; i < 2 * n; ++i) {
                const float v = std::round(component(i) * 32768.0f);
                o[i] = static_cast<int16_t>(std::clamp(v, -32768.0f, 32767.0f));
            }
        }
    }

    const Config cfg_;
    FILE *file_ = nullptr;
    mutable std::mutex mutex_;
    IQStream *stream_ = nullptr;
    std::vector<unsigned char> raw_;
    double freq_hz_ = 0.0;
    double corr_ppm_ = 0.0;
    double gain_db_ = 0.0;
    bool agc_ = false;
};

SoapySDR::KwargsList findIQFile(const SoapySDR::Kwargs &args) {
    const std::string driver = get(args, "driver");
    if (!driver.empty() && driver != DRIVER) return {};
    if (get(args, "file").empty()) {
        // Nothing to play: stay silent for plain enumeration, explain when asked for by name.
        if (driver == DRIVER) SoapySDR::log(SOAPY_SDR_WARNING, "iqfile: give file=PATH (and format=, rate=)");
        return {};
    }
    Config cfg;
    try {
        cfg = Config::fromArgs(args);
    } catch (const std::exception &e) {
        SoapySDR::log(SOAPY_SDR_WARNING, e.what());
        return {};
    }
    SoapySDR::Kwargs dev;
    dev["driver"] = DRIVER;
    dev["file"] = cfg.path;
    dev["format"] = formatInfo(cfg.format).name;
    dev["rate"] = get(args, "rate");
    dev["freq"] = get(args, "freq", "0");
    if (!get(args, "realtime").empty()) dev["realtime"] = get(args, "realtime");
    if (!get(args, "loop").empty()) dev["loop"] = get(args, "loop");
    if (!get(args, "backlog").empty()) dev["backlog"] = get(args, "backlog");
    const size_t slash = cfg.path.rfind('/');
    dev["label"] = "IQ file " + (slash == std::string::npos ? cfg.path : cfg.path.substr(slash + 1));
    return {dev};
}

SoapySDR::Device *makeIQFile(const SoapySDR::Kwargs &args) { return new IQFileDevice(Config::fromArgs(args)); }

} // namespace

static SoapySDR::Registry registerIQFile(DRIVER, &findIQFile, &makeIQFile, SOAPY_SDR_ABI_VERSION);
