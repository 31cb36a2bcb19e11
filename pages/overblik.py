import streamlit as st

st.title("Overblik")
st.info("Siden er under opbygning.")
