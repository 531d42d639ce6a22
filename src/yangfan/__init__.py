"""扬帆 Yangfan: monitoring platform for China's 5G scale-application programme."""

__version__ = "0.1.0"
